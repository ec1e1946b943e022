/** Spawns the CLI as users run it (`node --import tsx core/src/cli/main.ts`) on temp files. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { allRules } from '../../src/rules';

const root = join(__dirname, '..', '..', '..');
const main = join(root, 'core', 'src', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'll-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TF = "import * as tf from '@tensorflow/tfjs';";
mkdirSync(join(dir, 'models', 'deep'), { recursive: true });
// An error (dense in a flow) and a warning; a clean file; an info-only file.
writeFileSync(
  join(dir, 'models', 'flow.ts'),
  [
    TF,
    "import { AffineCoupling, Flow } from 'lipschitz-lens';",
    "export const f = new Flow({ layers: [tf.layers.dense({ units: 4 }), new AffineCoupling({ scale: 'exp' })] });",
    '',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'models', 'deep', 'clean.ts'),
  [TF, 'export const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2] })] });', ''].join(
    '\n',
  ),
);
writeFileSync(
  join(dir, 'info.ts'),
  [
    TF,
    'export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [4] })] });',
    '',
  ].join('\n'),
);

// A model after 20,000 nested calls: the analysis stops following the nesting and says so.
writeFileSync(
  join(dir, 'deep-nesting.ts'),
  [
    TF,
    `const x = ${'f('.repeat(20000)}1${')'.repeat(20000)};`,
    'export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [4] })] });',
    '',
  ].join('\n'),
);

// A folder its own .gitignore ignores whole (the `**/*.ts` glob below does not see it either).
mkdirSync(join(dir, 'generated'));
writeFileSync(join(dir, 'generated', '.gitignore'), '*.ts\n');
writeFileSync(join(dir, 'generated', 'model.ts'), `${TF}\nexport const n = 1;\n`);

// Resolved here: `--import tsx` would resolve from the temp cwd, where tsx is not installed.
const tsx = pathToFileURL(require.resolve('tsx')).href;

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', tsx, main, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('lipschitz-lens lint', () => {
  it('text output, exit 1 on errors', () => {
    const r = run('lint', 'models');
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], join('models', 'flow.ts'));
    assert.match(
      lines[1]!,
      /^\s+3:38\s+error\s+tf\.layers\.dense has no Lipschitz constraint .*missing-lipschitz-constraint$/,
    );
    assert.match(r.stdout, /3:\d+\s+warning\s+Affine coupling scale .* unbounded-coupling-scale/);
    assert.match(r.stdout, /\u2716 2 problems \(1 error, 1 warning\)/);
    assert.doesNotMatch(r.stdout, /clean\.ts/);
  });

  it('exit 0 with info findings only; --rule off silences', () => {
    const r = run('lint', 'info.ts');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /1 info/);
    const off = run('lint', 'info.ts', '--rule', 'missing-lipschitz-constraint=off');
    assert.equal(off.code, 0);
    assert.equal(off.stdout, '');
  });

  it('a file the analysis did not read whole says so in every format, not as a clean file', () => {
    const text = run('lint', 'deep-nesting.ts');
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^\s+2:\d+\s+info\s+Lipschitz Lens did not analyse all of this file: .*\(not analysed\)$/m,
    );
    assert.match(text.stdout, /1 file not fully analysed/);
    // The model after the deep expression is still linted.
    assert.match(text.stdout, /3:\d+\s+info\s+.*missing-lipschitz-constraint/);
    const json = JSON.parse(run('lint', '--format', 'json', 'deep-nesting.ts').stdout) as {
      notAnalysed?: { message: string; line: number };
    }[];
    assert.equal(json[0]?.notAnalysed?.line, 2);
    const sarif = JSON.parse(run('lint', '--format', 'sarif', 'deep-nesting.ts').stdout) as {
      runs: {
        invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[];
      }[];
    };
    const notes = sarif.runs[0]!.invocations[0]!.toolExecutionNotifications;
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.level, 'note');
    assert.match(notes[0]!.message.text, /did not analyse all of this file/);
  });

  it('globs with ** and *', () => {
    const r = run('lint', '--format', 'json', '**/*.ts');
    assert.equal(r.code, 1);
    const files = (JSON.parse(r.stdout) as { filePath: string }[]).map((f) => f.filePath).sort();
    assert.deepEqual(files, [
      join(dir, 'deep-nesting.ts'),
      join(dir, 'info.ts'),
      join(dir, 'models', 'deep', 'clean.ts'),
      join(dir, 'models', 'flow.ts'),
    ]);
    const one = run('lint', '--format', 'json', 'models/*.ts');
    assert.deepEqual(
      (JSON.parse(one.stdout) as { filePath: string }[]).map((f) => f.filePath),
      [join(dir, 'models', 'flow.ts')],
      '* stays within one folder',
    );
  });

  it('skips what a .gitignore ignores, says so when it is all a folder holds, and lints a file named', () => {
    const ignored = run('lint', 'generated');
    assert.equal(ignored.code, 2);
    assert.equal(
      ignored.stderr,
      "lipschitz-lens lint: all files matching 'generated' are ignored by a .gitignore\n",
    );
    const named = run('lint', '--format', 'json', join('generated', 'model.ts'));
    assert.equal(named.code, 0, named.stderr);
    assert.deepEqual(
      (JSON.parse(named.stdout) as { filePath: string }[]).map((f) => f.filePath),
      [join(dir, 'generated', 'model.ts')],
    );
  });

  it('json output carries findings with 1-based positions and fixes', () => {
    const r = run('lint', '-f', 'json', 'models/flow.ts');
    const [result] = JSON.parse(r.stdout) as {
      errorCount: number;
      warningCount: number;
      findings: {
        ruleId: string;
        line: number;
        column: number;
        fix?: { edits: unknown[] };
        suggestions: unknown[];
      }[];
    }[];
    assert.equal(result!.errorCount, 1);
    assert.equal(result!.warningCount, 1);
    const dense = result!.findings.find((f) => f.ruleId === 'missing-lipschitz-constraint')!;
    assert.equal(dense.line, 3);
    assert.equal(dense.column, 38);
    assert.ok(dense.fix && dense.fix.edits.length === 2, 'constraint + import');
    assert.ok(dense.suggestions.length >= 1);
  });

  it('sarif 2.1.0 output', () => {
    const r = run('lint', '--format=sarif', 'models');
    assert.equal(r.code, 1);
    const log = JSON.parse(r.stdout) as {
      version: string;
      $schema: string;
      runs: {
        tool: {
          driver: {
            name: string;
            rules: {
              id: string;
              helpUri?: string;
              help?: { text: string; markdown: string };
              shortDescription: { text: string };
            }[];
          };
        };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string };
              region: { startLine: number; startColumn: number };
            };
          }[];
        }[];
      }[];
    };
    assert.equal(log.version, '2.1.0');
    assert.match(log.$schema, /sarif-2\.1\.0/);
    assert.equal(log.runs.length, 1);
    const run0 = log.runs[0]!;
    assert.equal(run0.tool.driver.name, 'lipschitz-lens');
    assert.deepEqual(
      run0.tool.driver.rules.map((x) => x.id),
      Object.keys(allRules),
    );
    // No public page exists to link: each rule carries its shipped page's text instead of a dead helpUri.
    for (const rule of run0.tool.driver.rules) {
      assert.equal(rule.helpUri, undefined);
      const page = readFileSync(join(root, 'docs', 'rules', `${rule.id}.md`), 'utf8');
      assert.equal(rule.help?.markdown, page);
      assert.equal(rule.help.text, page);
    }
    assert.equal(run0.results.length, 2);
    for (const res of run0.results) {
      assert.ok(['error', 'warning', 'note'].includes(res.level));
      assert.equal(run0.tool.driver.rules[res.ruleIndex]!.id, res.ruleId);
      assert.ok(res.message.text.length > 0);
      const loc = res.locations[0]!.physicalLocation;
      assert.equal(loc.artifactLocation.uri, 'models/flow.ts');
      assert.equal(loc.region.startLine, 3);
    }
  });

  it('exit 2 on bad usage, with a clear message', () => {
    const unknownFlag = run('lint', '--frobnicate', 'models');
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option '--frobnicate'/);
    const badFormat = run('lint', '--format', 'xml', 'models');
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /unknown format 'xml'/);
    const none = run('lint', 'nothing/**/*.ts');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no files matching 'nothing\/\*\*\/\*\.ts'/);
    assert.equal(run('lint').code, 2);
    assert.equal(run('bogus').code, 2);
  });

  it('--help and --version', () => {
    const help = run('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /lint\s+Check TensorFlow\.js/);
    const version = run('--version');
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.match(run('lint', '--help').stdout, /--format <text\|json\|sarif>/);
  });
});
