/**
 * The monitor as a fit() callback on a tfjs model whose layers form a chain: a record per cadence, an end line
 * when fit() ends, and forward lower bounds that never exceed each dense layer's largest singular value (computed
 * independently, in float64 from the kernel) while coming close to it as the warm-started steps accumulate.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend';
import { parseRunFile } from '../../src/monitor/run-file';
import { TrainingMonitor } from '../../src/monitor/training-monitor';

/** sigma_max of a [rows, cols] row-major matrix: power iteration on W^T W in float64, to convergence. */
function sigmaMax(w: Float32Array, rows: number, cols: number): number {
  let v = Array.from({ length: cols }, (_, i) => 1 + i / cols);
  let s = 0;
  for (let it = 0; it < 2000; it++) {
    const u = Array.from({ length: rows }, (_, i) => v.reduce((a, x, j) => a + w[i * cols + j]! * x, 0));
    const z = Array.from({ length: cols }, (_, j) => u.reduce((a, x, i) => a + w[i * cols + j]! * x, 0));
    const norm = Math.hypot(...z);
    s = Math.sqrt(norm / Math.hypot(...v));
    v = z.map((x) => x / norm);
  }
  return s;
}

describe('training monitor as a fit() callback', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-monitor-fit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('records every 2 batches, ends with fit(), and its forward figures are lower bounds', async () => {
    await selectBackend({ prefer: 'wasm' });
    const model = tf.sequential({
      layers: [
        tf.layers.dense({
          units: 6,
          inputShape: [4],
          useBias: true,
          name: 'd1',
          kernelInitializer: 'glorotNormal',
        }),
        tf.layers.dense({ units: 3, name: 'd2', kernelInitializer: 'glorotNormal' }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const x = tf.randomNormal([64, 4], 0, 1, 'float32', 3);
    const y = tf.randomNormal([64, 3], 0, 1, 'float32', 4);
    const monitor = new TrainingMonitor(model, { data: x, dir, everySteps: 2, iterations: 3, points: 4 });
    await model.fit(x, y, { epochs: 2, batchSize: 16, callbacks: [monitor.callback()], verbose: 0 });
    const run = parseRunFile(readFileSync(monitor.file, 'utf8'));
    // 8 batches (steps 0..7): measured at 0, 2, 4, 6, and at 7 when fit() ended.
    assert.deepEqual(
      run.measurements.map((m) => m.step),
      [0, 2, 4, 6, 7],
    );
    assert.equal(run.end?.reason, 'finished');
    assert.ok(run.measurements.every((m) => typeof m.loss === 'number'));
    assert.deepEqual(
      run.header.blocks.map((b) => [b.name, b.hasInverse]),
      [
        ['d1', false],
        ['d2', false],
      ],
    );
    const last = run.measurements[run.measurements.length - 1]!;
    for (const [k, layer] of model.layers.entries()) {
      const kernel = layer.getWeights()[0]!;
      const [rows, cols] = kernel.shape as [number, number];
      // tfjs kernels are [in, out]: the map is x -> x W, whose norm is W's.
      const s = sigmaMax(kernel.dataSync() as Float32Array, rows, cols);
      const bound = last.blocks[k]!.forward.value!;
      assert.ok(bound <= s * (1 + 1e-5), `${layer.name}: ${bound} > sigma_max ${s}`);
      assert.ok(bound >= 0.9 * s, `${layer.name}: ${bound} far below sigma_max ${s}`);
    }
    tf.dispose([x, y]);
    model.dispose();
  });
});
