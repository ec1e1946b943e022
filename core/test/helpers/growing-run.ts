/**
 * A real run file whose inverse grows, for the editor's monitor tests: the TrainingMonitor measures a two-block
 * flow (an exp-scale affine coupling, then an additive one) every step on wasm, and between steps the affine
 * coupling's weights are multiplied by 1.8, as a training that drives its scales apart would. The additive
 * block's weights are left alone. Returns the file's lines, each with its newline, as written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend';
import { AdditiveCoupling, AffineCoupling, Flow } from '../../src/layers';
import { TrainingMonitor } from '../../src/monitor/training-monitor';

export const GROWING_BLOCK = 'coupling_0';
export const STEADY_BLOCK = 'additive_1';

export async function recordGrowingRun(steps = 6): Promise<string[]> {
  await selectBackend({ prefer: 'wasm' });
  const dir = mkdtempSync(join(tmpdir(), 'll-growing-run-'));
  try {
    const affine = new AffineCoupling({
      scale: 'exp',
      hiddenUnits: 8,
      zeroInit: false,
      seed: 1,
      name: GROWING_BLOCK,
    });
    const flow = new Flow([
      affine,
      new AdditiveCoupling({ hiddenUnits: 8, zeroInit: false, seed: 2, name: STEADY_BLOCK }),
    ]);
    const data = tf.randomNormal([8, 4], 0, 1, 'float32', 7);
    const monitor = new TrainingMonitor(flow, { data, dir, everySteps: 1, name: 'growing-flow' });
    for (let step = 0; step < steps; step++) {
      monitor.step(step);
      for (const w of affine.weights) w.write(tf.tidy(() => tf.mul(w.read(), 1.8)));
    }
    monitor.end();
    data.dispose();
    for (const b of flow.blocks) for (const w of b.weights) w.dispose();
    return readFileSync(monitor.file, 'utf8').split(/(?<=\n)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
