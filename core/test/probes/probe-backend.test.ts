/**
 * Issue 12, item 2: each probe records the backend it actually ran on, and a fallback it made (a kernel missing
 * on wasm sends the probe to cpu) is recorded with where from and why, instead of the report saying "wasm".
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { selectBackend } from '../../src/backend/select-backend';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeTarget, Tensor } from '../../src/probes/target';

/** A linear map that, like a layer with a gradient kernel missing on wasm, fails on any backend but cpu. */
function cpuOnly(): ProbeTarget {
  return {
    name: 'cpu-only',
    inputShape: [3],
    forward: (x: Tensor): Tensor => {
      if (tf.getBackend() !== 'cpu')
        throw new Error(`Kernel 'UnsortedSegmentSum' not registered for backend '${tf.getBackend()}'`);
      return tf.mul(x, 2);
    },
  };
}

const plain: ProbeTarget = { name: 'plain', inputShape: [3], forward: (x: Tensor): Tensor => tf.mul(x, 2) };

describe('per-probe backend', () => {
  before(async () => {
    const choice = await selectBackend({ prefer: 'wasm' });
    assert.equal(choice.kind, 'wasm', `wasm backend did not initialise: ${choice.notes.join('; ')}`);
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('records the backend a probe ran on, and a fallback with its reason', async () => {
    const data = tf.randomNormal([3, 3], 0, 1, 'float32', 1);
    const options = {
      tf,
      probes: ['forward-lipschitz'] as const,
      settings: { pairSteps: 2 },
      seed: 0,
      deadline: Date.now() + 60_000,
    };
    const [ok] = await runProbes(plain, data, options);
    assert.equal(ok?.status, 'ok', ok?.message);
    assert.deepEqual(ok?.backend, { name: 'wasm' });
    const [fell] = await runProbes(cpuOnly(), data, options);
    assert.equal(fell?.status, 'ok', fell?.message);
    assert.equal(fell?.backend?.name, 'cpu');
    assert.equal(fell?.backend?.fallback?.from, 'wasm');
    assert.match(
      fell?.backend?.fallback?.reason ?? '',
      /UnsortedSegmentSum' not registered for backend 'wasm'/,
    );
    // The audit's backend is restored for the next probe.
    assert.equal(tf.getBackend(), 'wasm');
    data.dispose();
  });
});
