/**
 * The language server in a second editor: Neovim (headless) starts `node dist/server/server.js --stdio` on an
 * example, and what it receives (diagnostics, a hover at a flagged layer) must match the example's
 * `// expect:` annotations; the rule's code action at that layer, applied, removes its finding. This checks the
 * server standalone, with no VS Code client in between.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeWorkspace } from './lib/code-server';
import { columnOf, expectedFindings, keys } from './lib/expect';
import { nvimScript } from './lib/nvim-script';
import { OUT_DIR, ROOT } from './lib/paths';
import { prepared } from './lib/prepared';
import { run } from './lib/proc';

interface LspDiagnostic {
  range: { start: { line: number; character: number } };
  code?: string | number;
  source?: string;
  message: string;
}
interface NvimResult {
  diagnostics: LspDiagnostic[] | null;
  hover: { contents: { kind?: string; value?: string } | string } | null;
  /** The code actions' titles at the flagged diagnostic, the one applied, and what followed. */
  actions: string[] | null;
  applied: string | null;
  after: LspDiagnostic[] | null;
  text: string | null;
  errors: string[];
  log: string[];
  exit?: { code: number; signal: number };
}

const SERVER = join(ROOT, 'dist', 'server', 'server.js');

/** Examples to open, each with the text of a flagged layer to hover on. */
const CASES = [
  { file: 'mlp-classifier.ts', hoverOn: 'dense' },
  { file: 'glow.ts', hoverOn: 'AffineCoupling' },
  { file: 'gan-critic.ts', hoverOn: 'maxNorm' },
];

function hoverText(h: NvimResult['hover']): string {
  if (!h) return '';
  return typeof h.contents === 'string' ? h.contents : (h.contents.value ?? '');
}

describe('Neovim 0.7 + the language server over stdio', () => {
  let base = '';
  let workspace = '';

  before(() => {
    // run.mjs built dist/; a file run on its own builds through prepared().
    prepared();
    assert.ok(existsSync(SERVER), `${SERVER} is missing: the server bundle did not build`);
    base = mkdtempSync(join(tmpdir(), 'll-e2e-nvim-'));
    workspace = makeWorkspace(base);
    mkdirSync(OUT_DIR, { recursive: true });
  });

  after(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(`${c.file}: diagnostics match the expect annotations; hover shows the bounds`, async () => {
      const file = join(workspace, c.file);
      const expected = expectedFindings(file);
      assert.ok(expected.length > 0, `${c.file} has no expect annotations`);
      const flagged = expected[0]!;
      const out = join(base, `${c.file}.json`);
      const script = join(base, `${c.file}.lua`);
      writeFileSync(
        script,
        nvimScript({
          node: process.execPath,
          server: SERVER,
          workspace,
          file,
          hover: { line: flagged.line - 1, character: columnOf(file, flagged.line, c.hoverOn) },
          fix: { line: flagged.line - 1, ruleId: flagged.ruleId },
          out,
          timeoutMs: 30_000,
        }),
      );
      await run('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${script}`], {
        cwd: workspace,
        log: `nvim-${c.file}.log`,
        timeoutMs: 90_000,
      });
      assert.ok(existsSync(out), 'Neovim wrote no result file');
      const result = JSON.parse(readFileSync(out, 'utf8')) as NvimResult;
      // Keep what Neovim saw for the report and for debugging a failure.
      writeFileSync(join(OUT_DIR, `nvim-${c.file}.json`), JSON.stringify(result, null, 2));
      assert.deepEqual(result.errors, [], `Neovim reported: ${result.errors.join('; ')}`);

      const diagnostics = (result.diagnostics ?? []).filter((d) => d.source === 'lipschitz-lens');
      const got = diagnostics.map((d) => ({ line: d.range.start.line + 1, ruleId: String(d.code) }));
      assert.deepEqual(
        keys(got),
        keys(expected),
        'diagnostics (line:rule) differ from the expect annotations',
      );

      const hover = hoverText(result.hover);
      assert.match(hover, /Lipschitz Lens/, `hover at ${c.file}:${flagged.line} has no Lipschitz Lens part`);
      assert.match(hover, /forward/i, 'hover does not show the forward bound');
      assert.match(hover, /inverse/i, 'hover does not show the inverse bound');

      // The rule's fix, applied as Neovim applies a workspace edit: the text changes and the server, linting
      // the changed text, reports one finding of that rule fewer.
      assert.ok(result.applied, `no fix applied; the actions were ${JSON.stringify(result.actions)}`);
      const before = readFileSync(file, 'utf8');
      assert.notEqual(
        result.text?.replace(/\n?$/, ''),
        before.replace(/\n?$/, ''),
        `"${result.applied}" changed nothing`,
      );
      // What the title says the fix writes ("Add kernelConstraint: ...", "Replace with ...", "Use ...") is there.
      const writes = /^(?:Add|Replace with|Use) (.+)$/.exec(result.applied)?.[1];
      assert.ok(writes && result.text?.includes(writes), `"${result.applied}" is not in the fixed text`);
      const ofRule = (ds: readonly LspDiagnostic[] | null): number =>
        (ds ?? []).filter((d) => d.source === 'lipschitz-lens' && String(d.code) === flagged.ruleId).length;
      assert.equal(
        ofRule(result.after),
        ofRule(result.diagnostics) - 1,
        `after "${result.applied}": ${JSON.stringify(result.after?.map((d) => [d.range.start.line + 1, d.code]))}`,
      );
    });
  }
});
