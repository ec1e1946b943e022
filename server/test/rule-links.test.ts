/**
 * A diagnostic's rule link opens a page that exists (issue 14, item 2): VS Code's client gets a `command:` link to
 * the extension's markdown preview, other clients the shipped page's `file:` URI, and no link when there is none.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { type Diagnostic, DidOpenTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import type { InitializationOptions } from '../../core/src/protocol/lsp';
import type { Finding } from '../../core/src/rules/rule';
import { ruleDocsLink, toDiagnostic } from '../src/diagnostics';
import { type Harness, startServer } from './lsp-harness';

const root = join(__dirname, '..', '..');
const folder = join(__dirname, 'fixtures', 'workspace');
const file = join(folder, 'models.ts');
const uri = pathToFileURL(file).href;

async function diagnosticsFor(
  init: InitializationOptions | undefined,
): Promise<{ h: Harness; diags: Diagnostic[] }> {
  const h = startServer({ lintDelayMs: 10 });
  await h.initialize(folder, init ? { initializationOptions: init } : {});
  await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'typescript', version: 1, text: readFileSync(file, 'utf8') },
  });
  return { h, diags: await h.diagnostics(uri, (d) => d.length > 0) };
}

/** What VS Code's opener does with a `command:` link: the command id, and the arguments JSON in the query. */
function parseCommandLink(href: string): { command: string; args: unknown } {
  const url = new URL(href);
  assert.equal(url.protocol, 'command:');
  return { command: url.pathname, args: JSON.parse(decodeURIComponent(url.search.slice(1))) as unknown };
}

describe('rule links in diagnostics', { timeout: 120_000 }, () => {
  const servers: Harness[] = [];
  after(async () => Promise.all(servers.map((h) => h.close())));

  it("VS Code's client: a command link that opens the rule's page, with the rule id as its argument", async () => {
    const { h, diags } = await diagnosticsFor({ workspaceTrusted: false, showsRuleDocs: true });
    servers.push(h);
    assert.ok(diags.some((d) => d.code !== undefined));
    for (const d of diags.filter((x) => x.code !== undefined)) {
      const link = parseCommandLink(d.codeDescription!.href);
      assert.equal(link.command, 'lipschitzLens.showRuleDocs');
      assert.deepEqual(link.args, [d.code]);
    }
  });

  it('a client without the command (Neovim, plain LSP): the shipped page as a file that exists', async () => {
    const { h, diags } = await diagnosticsFor(undefined);
    servers.push(h);
    assert.ok(diags.some((d) => d.code !== undefined));
    for (const d of diags.filter((x) => x.code !== undefined)) {
      const href = d.codeDescription!.href;
      assert.ok(!href.startsWith('https:'), href);
      const page = fileURLToPath(href);
      assert.equal(page, join(root, 'docs', 'rules', `${String(d.code)}.md`));
      assert.match(readFileSync(page, 'utf8'), new RegExp(`^# ${String(d.code)}\\n`));
    }
  });

  it('no link at all when the page is not there, rather than a dead one', () => {
    const finding: Finding = {
      ruleId: 'missing-lipschitz-constraint',
      messageId: 'm',
      severity: 'warning',
      message: 'm',
      range: { file, start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      related: [],
      suggestions: [],
    };
    const noDocs = toDiagnostic(finding, 0, 1, ruleDocsLink(undefined, false));
    assert.equal(noDocs.codeDescription, undefined);
    assert.ok(!('codeDescription' in noDocs));
    const unknownRule = ruleDocsLink(root, false)('no-such-rule');
    assert.equal(unknownRule, undefined);
    assert.ok(!existsSync(join(root, 'docs', 'rules', 'no-such-rule.md')));
    assert.equal(
      toDiagnostic(finding, 0, 1, ruleDocsLink(root, false)).codeDescription?.href,
      pathToFileURL(join(root, 'docs', 'rules', 'missing-lipschitz-constraint.md')).href,
    );
  });
});
