/**
 * Issue 11, item 2: `lipschitz-lens audit model.ts & kill -TERM $!` on a model stuck in a loop. The CLI (spawned
 * as users run it) must stop the worker on SIGTERM, SIGHUP and SIGINT, write what it has, and exit 128+n.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { parseReport } from '../../src/report/schema';
import { alive, cpuSeconds, killIfAlive, msUntilGone, until, workersOf } from '../probes/process-table';
import { startedIn, writeRunawayModels } from '../probes/runaway-models';

const main = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
// Resolved here: `--import tsx` would resolve from the temp cwd, where tsx is not installed.
const tsx = pathToFileURL(require.resolve('tsx')).href;

describe('lipschitz-lens audit on a stop signal', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const workers: number[] = [];
  after(() => {
    workers.forEach(killIfAlive);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const)
    it(`${signal} stops the worker, writes the report and exits ${128 + constants.signals[signal]}`, async () => {
      const dir = writeRunawayModels();
      dirs.push(dir);
      const out = join(dir, 'out');
      const cli = spawn(
        process.execPath,
        ['--import', tsx, main, 'audit', 'stuck-at-import.js', '--out', out, '--backend', 'cpu'],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      cli.stdout.on('data', (d: Buffer) => (output += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | NodeJS.Signals | null>((r) =>
        cli.once('exit', (code, sig) => r(code ?? sig)),
      );
      const w = await until('the probe worker', 30_000, () => workersOf(cli.pid!)[0]);
      workers.push(w);
      await startedIn(dir, 'stuck-at-import.js');
      await until('the worker to spin', 10_000, () => (cpuSeconds(w) > 0.5 ? true : undefined));
      cli.kill(signal);
      const code = await exited;
      const gone = await msUntilGone(w, 3000);
      console.log(`${signal}: CLI exited ${String(code)}, worker gone ${gone} ms after it`);
      assert.ok(!alive(w), `the worker outlived the CLI on ${signal}`);
      assert.equal(code, 128 + constants.signals[signal], output);
      const json = existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.report.json')) : undefined;
      assert.ok(json !== undefined, `no report written:\n${output}`);
      assert.equal(parseReport(readFileSync(join(out, json), 'utf8')).error?.phase, 'cancelled');
    });

  it('--memory-cap reaches the worker, and the report says the model used more', async () => {
    const dir = writeRunawayModels();
    dirs.push(dir);
    const cli = spawn(
      process.execPath,
      ['--import', tsx, main, 'audit', 'offheap-hog.js', '--out', join(dir, 'out'), '--memory-cap', '300'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    cli.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise((r) => cli.once('exit', r));
    assert.equal(code, 2, output);
    assert.match(output, /the model used more than 300 MB/);
  });
});
