/** The audit sees a NeuralOde flow with forward, the backward integration as inverse, and log-det. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Flow } from '../../src/layers/flow';
import { NeuralOde } from '../../src/layers/neural-ode';
import { toProbeTarget } from '../../src/probes/adapt';
import { runProbes } from '../../src/probes/run-probes';
import { relError } from '../helpers/linalg';

const D = 3;

describe('NeuralOde in the audit', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('the adapter gives its block forward, inverse and log-det, and the reconstruction probe runs', async () => {
    const layer = new NeuralOde({ name: 'ode', hiddenUnits: 8, hiddenLayers: 1, zeroInit: false, seed: 1 });
    const flow = new Flow([layer]);
    const x = tf.randomNormal([8, D], 0, 1, 'float32', 4);
    flow.forward(x);
    const target = toProbeTarget(tf, flow.toModel([D]), 'ode', [D]);
    assert.deepEqual(
      target.blocks!.map((b) => [b.name, !!b.inverse, !!b.logDet]),
      [['ode', true, true]],
    );
    const y = target.forward(x);
    assert.ok(relError(y, x) > 1e-2);
    assert.ok(relError(target.inverse!(y), x) <= 1e-5, 'RK4 with 8 steps reconstructs to float32 level');
    assert.ok(relError(target.logDet!(x), layer.logDetJacobian(x)) <= 1e-6);
    const [r] = await runProbes(target, x, {
      tf,
      probes: ['reconstruction'],
      seed: 5,
      deadline: Date.now() + 60_000,
    });
    assert.equal(r!.status, 'ok', r!.message);
  });
});
