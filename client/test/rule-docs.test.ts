/**
 * "Show Rule Documentation" and the diagnostics' rule links open `docs/rules/<id>.md` from the extension folder:
 * every rule has its page there, the quick pick lists every rule, and the .vsix carries the pages (issue 14, item 2).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allRules } from '../../core/src/rules';
import { SHOW_RULE_DOCS } from '../../core/src/rules/rule-docs';
import { ruleCatalogue, rulePage } from '../src/rule-docs';

// The checkout is laid out as the extension folder is: `docs/` beside `dist/` and package.json.
const root = join(__dirname, '..', '..');
const ids = Object.keys(allRules).sort();

describe('rule documentation pages', () => {
  it("resolves every rule id to its own page, whose title is the rule's id", () => {
    for (const id of ids) {
      const page = rulePage(root, id);
      assert.equal(page, join(root, 'docs', 'rules', `${id}.md`));
      assert.match(readFileSync(page, 'utf8'), new RegExp(`^# ${id}\\n`));
    }
  });

  it('refuses what is not a rule page: unknown ids, paths, non-strings', () => {
    for (const bad of ['no-such-rule', '../../package', 'README', '', 42, undefined, ['missing']])
      assert.equal(rulePage(root, bad), undefined, JSON.stringify(bad));
  });

  it('the quick pick lists every rule, each with what it checks', () => {
    const catalogue = ruleCatalogue(readFileSync(join(root, 'docs', 'rules', 'README.md'), 'utf8'));
    assert.deepEqual(catalogue.map((r) => r.id).sort(), ids);
    const constraint = catalogue.find((r) => r.id === 'missing-lipschitz-constraint');
    assert.equal(constraint?.checks, 'weighted layer without a spectral-norm constraint');
  });

  it('the command is contributed under the id the server links to', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes: { commands: { command: string; title: string }[] };
    };
    const entry = manifest.contributes.commands.find((c) => c.command === SHOW_RULE_DOCS);
    assert.equal(entry?.title, 'Show Rule Documentation');
  });

  it('the .vsix carries every page (vsce ls, the packaging file list)', () => {
    const vsce = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
    const listed = new Set(
      execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' }).split('\n'),
    );
    for (const id of ids) assert.ok(listed.has(`docs/rules/${id}.md`), `docs/rules/${id}.md is not packaged`);
    assert.ok(listed.has('docs/rules/README.md'));
  });
});
