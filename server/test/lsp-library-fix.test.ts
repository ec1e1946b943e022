/**
 * A quick fix that imports `lipschitz-lens` in a project where the package does not resolve (issue 14, item 1):
 * the plain edit would not compile, so a client that installs the library gets a command carrying the edits, other
 * clients get the edit titled with what it needs, and fix-all on save leaves it out. Once the package is there,
 * the fix is the plain edit again.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  type CodeAction,
  CodeActionRequest,
  type Diagnostic,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  ADD_LIBRARY_COMMAND,
  type AddLibraryArgs,
  type InitializationOptions,
} from '../../core/src/protocol/lsp';
import { type Harness, startServer } from './lsp-harness';

const FIX = 'Add kernelConstraint: spectralNorm({ coeff: 0.9 })';

/** The fixture's models.ts in a project with tfjs declared and no lipschitz-lens anywhere. */
function bareProject(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lens-nolib-')));
  cpSync(join(__dirname, 'fixtures', 'workspace', 'models.ts'), join(dir, 'models.ts'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'nolib', private: true }));
  return dir;
}

async function session(
  folder: string,
  init: InitializationOptions,
): Promise<{ h: Harness; uri: string; doc: TextDocument; diags: Diagnostic[] }> {
  const h = startServer({ lintDelayMs: 10 });
  await h.initialize(folder, { name: 'nolib', initializationOptions: init });
  const uri = pathToFileURL(join(folder, 'models.ts')).href;
  const doc = TextDocument.create(uri, 'typescript', 1, readFileSync(join(folder, 'models.ts'), 'utf8'));
  await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'typescript', version: 1, text: doc.getText() },
  });
  const diags = await h.diagnostics(uri, (d) => d.length > 0);
  return { h, uri, doc, diags };
}

function actionsAt(h: Harness, uri: string, diag: Diagnostic, only?: string[]): Promise<CodeAction[]> {
  return h.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: diag.range,
    context: { diagnostics: only ? [] : [diag], ...(only ? { only } : {}) },
  }) as Promise<CodeAction[]>;
}

describe('a quick fix whose import does not resolve', { timeout: 120_000 }, () => {
  let folder: string;
  before(() => {
    folder = bareProject();
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('is a command that adds the library, then applies the same edits (VS Code client)', async () => {
    const { h, uri, doc, diags } = await session(folder, { workspaceTrusted: true, installsLibrary: true });
    try {
      const actions = await actionsAt(h, uri, diags[0]!);
      const fix = actions.find((a) => a.isPreferred)!;
      assert.equal(fix.title, `${FIX} (adds lipschitz-lens to this project)`);
      assert.equal(fix.edit, undefined, 'an edit would be applied before the package is there');
      assert.equal(fix.command?.command, ADD_LIBRARY_COMMAND);
      const args = fix.command!.arguments![0] as AddLibraryArgs;
      assert.deepEqual(args.packages, ['lipschitz-lens']);
      assert.equal(args.uri, uri);
      assert.equal(args.version, 1);
      const fixed = TextDocument.applyEdits(doc, args.edits);
      assert.match(fixed, /import \{ spectralNorm \} from 'lipschitz-lens';/);
      assert.match(fixed, /kernelConstraint: spectralNorm\(\{ coeff: 0\.9 \}\)/);
      // The disable comment needs nothing: still a plain edit.
      const disable = actions.find((a) => a.title.startsWith('Disable'))!;
      assert.ok(disable.edit && !disable.command);
      // Fix-all on save must neither install packages nor insert an unresolvable import.
      assert.deepEqual(await actionsAt(h, uri, diags[0]!, ['source.fixAll']), []);

      // Installed (as npm would): the next lint sees it, and the fix is the plain edit again.
      const pkg = join(folder, 'node_modules', 'lipschitz-lens');
      mkdirSync(join(pkg, 'dist'), { recursive: true });
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({ name: 'lipschitz-lens', types: 'dist/index.d.ts' }),
      );
      writeFileSync(
        join(pkg, 'dist', 'index.d.ts'),
        'export declare function spectralNorm(o: object): unknown;\n',
      );
      // Past the resolver's two-second reuse, an edit re-lints the file.
      await new Promise((r) => setTimeout(r, 2100));
      await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: 2 },
        contentChanges: [{ text: `${doc.getText()}\n` }],
      });
      const again = await h.diagnostics(uri, (_d, v) => v === 2);
      const plain = (await actionsAt(h, uri, again[0]!)).find((a) => a.isPreferred)!;
      assert.equal(plain.title, FIX);
      assert.ok(plain.edit?.changes?.[uri]?.length);
      assert.equal((await actionsAt(h, uri, again[0]!, ['source.fixAll'])).length, 1);
      rmSync(join(folder, 'node_modules'), { recursive: true, force: true });
    } finally {
      await h.close();
    }
  });

  it('is the edit, titled with what it needs, for a client that cannot install (Neovim)', async () => {
    const { h, uri, diags } = await session(folder, { workspaceTrusted: false });
    try {
      const fix = (await actionsAt(h, uri, diags[0]!)).find((a) => a.title.startsWith(FIX))!;
      assert.equal(fix.title, `${FIX} (needs lipschitz-lens installed)`);
      assert.ok(fix.edit?.changes?.[uri]?.length);
      assert.equal(fix.command, undefined);
    } finally {
      await h.close();
    }
  });
});
