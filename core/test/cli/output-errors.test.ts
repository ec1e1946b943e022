/**
 * Issue 11, item 6: reports are replaced only when written whole, and an output that cannot be written is one
 * line and exit code 2. The CLI is spawned as users run it, so a stack trace on stderr would show.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { fillUp, mountTmpfs } from '../helpers/tmpfs';

const main = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const models = resolve(__dirname, '../probes/fixtures/models.ts');
// Resolved here: `--import tsx` would resolve from the temp cwd, where tsx is not installed.
const tsx = pathToFileURL(require.resolve('tsx')).href;
const EXIT_OUTPUT = 2;

const dir = mkdtempSync(join(tmpdir(), 'll-output-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// A model whose import leaves a mark and then stops the audit: the mark says whether a worker loaded it.
const marker = join(dir, 'model-was-loaded');
const model = join(dir, 'marking-model.ts');
writeFileSync(
  model,
  [
    "import { writeFileSync } from 'node:fs';",
    `writeFileSync(${JSON.stringify(marker)}, 'loaded');`,
    "throw new Error('the test only needs the import');",
    '',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'flow.ts'),
  [
    "import * as tf from '@tensorflow/tfjs';",
    "import { AffineCoupling, Flow } from 'lipschitz-lens';",
    "export const f = new Flow({ layers: [tf.layers.dense({ units: 4 }), new AffineCoupling({ scale: 'exp' })] });",
    '',
  ].join('\n'),
);

function run(...args: string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  const start = performance.now();
  const r = spawnSync(process.execPath, ['--import', tsx, main, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - start };
}

/** A nanModel audit with few points: about a second. */
const quickAudit = (out: string): string[] => [
  'audit',
  models,
  '--export',
  'nanModel',
  '--out',
  out,
  '--probes',
  'forward-lipschitz',
  '--backend',
  'cpu',
  '--points',
  '3',
  '--option',
  'pairSteps=2',
];

/** Empties the tmpfs, so each test starts from its own previous file whatever the one before left. */
const clear = (folder: string): void => {
  for (const f of readdirSync(folder)) rmSync(join(folder, f), { recursive: true, force: true });
};

const temporaries = (folder: string): string[] => readdirSync(folder).filter((f) => f.endsWith('.tmp'));

describe('CLI output on a full disk (a 64 KiB tmpfs)', { timeout: 240_000 }, () => {
  const fs = mountTmpfs(64);
  after(() => 'unmount' in fs && fs.unmount());

  it('audit keeps the previous report byte for byte, says why in one line, and exits 2', (t) => {
    if ('skip' in fs) return t.skip(fs.skip);
    clear(fs.dir);
    const json = join(fs.dir, 'nanModel.report.json');
    const previous = `${JSON.stringify({ version: 1, previous: 'a good report' }, null, 2)}\n`;
    writeFileSync(json, previous);
    fillUp(fs.dir);
    const r = run(...quickAudit(fs.dir));
    assert.equal(r.code, EXIT_OUTPUT, r.stderr);
    assert.equal(r.stderr, `lipschitz-lens audit: cannot write ${json}: no space left on device (ENOSPC)\n`);
    // The results are not lost with the file: the summary is in the log.
    assert.match(r.stdout, /^nanModel: architecture is unstable \(fresh weights\); complete in /);
    assert.equal(readFileSync(json, 'utf8'), previous);
    assert.deepEqual(temporaries(fs.dir), []);
    assert.ok(!existsSync(join(fs.dir, 'nanModel.report.html')), 'no half-written page either');
  });

  it('lint -o keeps the previous SARIF byte for byte, says why in one line, and exits 2', (t) => {
    if ('skip' in fs) return t.skip(fs.skip);
    clear(fs.dir);
    const sarif = join(fs.dir, 'lint.sarif');
    const previous = '{"version":"2.1.0","runs":[]}\n';
    writeFileSync(sarif, previous);
    fillUp(fs.dir);
    const r = run('lint', 'flow.ts', '--format', 'sarif', '-o', sarif);
    assert.equal(r.code, EXIT_OUTPUT, r.stderr);
    assert.equal(r.stderr, `lipschitz-lens lint: cannot write ${sarif}: no space left on device (ENOSPC)\n`);
    assert.equal(readFileSync(sarif, 'utf8'), previous);
    assert.deepEqual(temporaries(fs.dir), []);
  });
});

describe('audit --out that cannot be written fails before the audit starts', { timeout: 240_000 }, () => {
  it('a writable --out loads the model (the marker works)', () => {
    rmSync(marker, { force: true });
    const r = run('audit', model, '--out', join(dir, 'out'), '--backend', 'cpu');
    assert.ok(existsSync(marker), `the model was loaded: ${r.stdout}${r.stderr}`);
  });

  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string, string, string][] = [
    ['a path under a device', '/dev/full/x', 'cannot write /dev/full/x: not a directory (ENOTDIR)'],
    ['a file where the folder goes', file, `cannot write ${file}: not a folder (ENOTDIR)`],
  ];
  const ro = mountTmpfs(64, { readOnly: true });
  after(() => 'unmount' in ro && ro.unmount());
  if ('dir' in ro)
    cases.push(['a read-only mount', ro.dir, `cannot write ${ro.dir}: read-only file system (EROFS)`]);
  else it('a read-only mount', (t) => t.skip(ro.skip));

  for (const [what, out, message] of cases)
    it(`${what}: one line, exit 2, the model never loaded`, (t) => {
      rmSync(marker, { force: true });
      const r = run('audit', model, '--out', out, '--backend', 'cpu');
      t.diagnostic(`--out ${out}: exit ${r.code} after ${Math.round(r.ms)} ms`);
      assert.equal(r.code, EXIT_OUTPUT, r.stderr);
      assert.equal(r.stderr, `lipschitz-lens audit: ${message}\n`);
      assert.ok(!existsSync(marker), 'no worker loaded the model');
    });

  it('lint -o under a device: one line, exit 2', () => {
    const r = run('lint', 'flow.ts', '-o', '/dev/full/x/lint.sarif');
    assert.equal(r.code, EXIT_OUTPUT, r.stderr);
    assert.equal(r.stderr, 'lipschitz-lens lint: cannot write /dev/full/x: not a directory (ENOTDIR)\n');
  });
});
