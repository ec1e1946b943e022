/**
 * The monitor's rebuilt-gradient check: on a flow of memory-saving ReversibleBlocks the gradients from activations
 * rebuilt by the inverses agree with backprop at the stored ones to float32 precision; a block whose inverse is off
 * by 1% (a stand-in for an inverse going wrong in training) shows an error of that order in the block below it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend';
import { Flow, ReversibleBlock } from '../../src/layers';
import { parseRunFile } from '../../src/monitor/run-file';
import { TrainingMonitor } from '../../src/monitor/training-monitor';
import type { ProbeTarget, Tensor } from '../../src/probes/target';

describe('training monitor, memory-saving blocks', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-monitor-ms-'));
  before(async () => {
    await selectBackend({ prefer: 'wasm' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('checks the gradients of memory-saving ReversibleBlocks: float32 agreement', () => {
    const flow = new Flow([
      new ReversibleBlock({ hiddenUnits: 16, zeroInit: false, seed: 1, name: 'rev_0' }),
      new ReversibleBlock({ hiddenUnits: 16, zeroInit: false, seed: 2, name: 'rev_1' }),
    ]);
    const data = tf.randomNormal([16, 6], 0, 1, 'float32', 5);
    flow.forward(data).dispose();
    const monitor = new TrainingMonitor(flow, { data, dir, everySteps: 1 });
    monitor.step(0);
    monitor.end();
    const run = parseRunFile(readFileSync(monitor.file, 'utf8'));
    assert.deepEqual(
      run.header.blocks.map((b) => b.memorySaving),
      [true, true],
    );
    for (const b of run.measurements[0]!.blocks) {
      assert.ok(b.gradientError !== undefined && b.gradientError !== null, b.name);
      assert.ok(b.gradientError < 1e-4, `${b.name}: ${b.gradientError}`);
    }
    data.dispose();
  });

  it('sees a wrong inverse in the gradients of the block below it', () => {
    // Block a: x + 0.5 sin(x) (its gradient depends on where it is taken); block b: 2x, its "inverse" y / 2 * 1.01.
    const a = {
      name: 'a',
      forward: (x: Tensor) => tf.add(x, tf.mul(0.5, tf.sin(x))),
      // A few fixed-point steps: exact enough for the check (error ~1e-7 against b's 1e-2).
      inverse: (y: Tensor) =>
        tf.tidy(() => {
          let x = y;
          for (let i = 0; i < 60; i++) x = tf.sub(y, tf.mul(0.5, tf.sin(x)));
          return x;
        }),
    };
    const b = { name: 'b', forward: (x: Tensor) => tf.mul(x, 2), inverse: (y: Tensor) => tf.mul(y, 0.505) };
    const target: ProbeTarget = {
      name: 'wrong-inverse',
      inputShape: [4],
      blocks: [a, b],
      forward: (x) => b.forward(a.forward(x)),
      inverse: (y) => a.inverse(b.inverse(y)),
    };
    const data = tf.randomNormal([8, 4], 0, 1, 'float32', 6);
    const monitor = new TrainingMonitor(target, { data, dir, everySteps: 1, gradientCheck: 'all' });
    monitor.step(0);
    monitor.end();
    const [ga, gb] = parseRunFile(readFileSync(monitor.file, 'utf8')).measurements[0]!.blocks.map(
      (x) => x.gradientError!,
    );
    // b is linear: its gradient does not depend on where it is taken.
    assert.ok(gb! < 1e-6, `b: ${gb}`);
    // a's input rebuilt 1% off: its Jacobian 1 + 0.5 cos(x) changes by up to 0.5 |sin x| 0.01 |x|.
    assert.ok(ga! > 1e-4 && ga! < 5e-2, `a: ${ga}`);
    data.dispose();
  });
});
