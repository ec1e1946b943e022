/**
 * A measurement that throws must not stop the user's training: the monitor writes an `error` line, goes on, and
 * after MAX_FAILURES_IN_A_ROW in a row ends the run 'failed'. Readers show the failures, and the CLI exits 2
 * (the run was not checked throughout) unless a threshold was crossed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend';
import { runMonitor } from '../../src/cli/monitor';
import { AdditiveCoupling, Flow } from '../../src/layers';
import { parseRunFile, type RunError, RunFileError } from '../../src/monitor/run-file';
import { summarizeRun, thresholdsOf } from '../../src/monitor/summary';
import { MAX_FAILURES_IN_A_ROW, TrainingMonitor } from '../../src/monitor/training-monitor';

function capture(): { io: Parameters<typeof runMonitor>[1]; out: () => string } {
  let text = '';
  return {
    io: { cwd: process.cwd(), stdout: (t) => (text += t), stderr: (t) => (text += t) },
    out: () => text,
  };
}

describe('training monitor: failed measurements', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-monitor-fail-'));
  let data: tf.Tensor2D;
  before(async () => {
    await selectBackend({ prefer: 'cpu' });
    data = tf.randomNormal([16, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
  });
  after(() => {
    data.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a failure, keeps measuring, recovers, and stops after repeated failures', async () => {
    const coupling = new AdditiveCoupling({ hiddenUnits: 8, zeroInit: false, seed: 1, name: 'add_0' });
    const flow = new Flow([coupling]);
    const errors: RunError[] = [];
    const monitor = new TrainingMonitor(flow, {
      data,
      dir,
      name: 'failing',
      everySteps: 1,
      onError: (e) => errors.push(e),
    });
    const healthy = coupling.inverse.bind(coupling);
    const broken = (): never => {
      throw new Error('inverse exploded');
    };
    assert.equal(monitor.step(0), true);
    coupling.inverse = broken;
    // The training loop goes on: step() neither throws nor claims to have measured.
    assert.equal(monitor.step(1), false);
    coupling.inverse = healthy;
    assert.equal(monitor.step(2), true, 'measuring resumes once the cause is gone');
    coupling.inverse = broken;
    for (let s = 3; s < 3 + MAX_FAILURES_IN_A_ROW; s++) assert.equal(monitor.step(s), false);
    // Stopped: no more measurements, no exception, and end() has nothing left to write.
    coupling.inverse = healthy;
    assert.equal(monitor.step(10), false);
    assert.equal(monitor.end(), undefined);

    assert.deepEqual(
      errors.map((e) => e.step),
      [1, 3, 4, 5],
    );
    const run = parseRunFile(readFileSync(monitor.file, 'utf8'));
    assert.deepEqual(
      run.measurements.map((m) => m.step),
      [0, 2],
    );
    assert.deepEqual(run.errors, errors);
    assert.match(run.errors[0]!.message, /inverse exploded/);
    assert.equal(run.end?.reason, 'failed');
    const summary = summarizeRun(run, thresholdsOf(run));
    assert.deepEqual(
      {
        count: summary.failures.count,
        step: summary.failures.first?.step,
        stopped: summary.failures.stopped,
      },
      { count: 4, step: 1, stopped: true },
    );

    const cli = capture();
    assert.equal(await runMonitor([monitor.file], cli.io), 2, cli.out());
    assert.match(
      cli.out(),
      /MEASUREMENTS FAILED: 4, the first at step 1: .*inverse exploded; the monitor stopped/,
    );
  });

  it('reads version 1 files (no error lines), refuses an error line in one, and an error line without a step', () => {
    const coupling = new AdditiveCoupling({ hiddenUnits: 8, seed: 2, name: 'add_0' });
    const monitor = new TrainingMonitor(new Flow([coupling]), { data, dir, name: 'v1', everySteps: 1 });
    monitor.step(0);
    monitor.end();
    const text = readFileSync(monitor.file, 'utf8');
    const v1 = text.replace(/"version":\d+/, '"version":1');
    assert.equal(parseRunFile(v1).measurements.length, 1);
    const error = `${JSON.stringify({ type: 'error', step: 0, time: '', message: 'x' })}\n`;
    assert.throws(() => parseRunFile(v1 + error), RunFileError);
    assert.equal(parseRunFile(text + error).errors.length, 1);
    assert.throws(
      () => parseRunFile(`${text}${JSON.stringify({ type: 'error', message: 'x' })}\n`),
      (e: unknown) => e instanceof RunFileError && /an error needs step and message/.test(e.message),
    );
  });
});
