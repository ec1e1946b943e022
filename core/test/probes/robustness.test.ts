import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PROBE_IDS } from '../../src/probes/probe';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeTarget } from '../../src/probes/target';

const data = (): tf.Tensor2D => tf.randomNormal([4, 4], 0, 1, 'float32', 1) as tf.Tensor2D;

describe('probes survive bad models, budgets and cancellation', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('an attack whose gradient fails says so once, with how many steps followed the gradient', async () => {
    // An inverse whose gradient is missing, as an op without a registered gradient on some backend would be.
    const noGrad = tf.customGrad((y) => ({
      value: tf.clone(y as tf.Tensor),
      gradFunc: () => {
        throw new Error("gradient of 'MyOp' not registered");
      },
    }));
    const target: ProbeTarget = {
      name: 'no-grad',
      inputShape: [4],
      forward: (x) => tf.mul(x, 2),
      inverse: (y) => tf.div(noGrad(y) as tf.Tensor, 2),
    };
    const [attack] = await runProbes(target, data(), {
      tf,
      probes: ['attack'],
      seed: 1,
      deadline: Date.now() + 30_000,
      settings: { attackSteps: 40 },
    });
    assert.equal(attack!.status, 'ok');
    const notes = attack!.notes.filter((n) => /Gradient through forward and inverse failed/.test(n));
    assert.equal(notes.length, 1, JSON.stringify(attack!.notes.slice(0, 3)));
    assert.match(notes[0]!, /MyOp/);
    assert.equal(attack!.figures.find((f) => f.id === 'gradient-steps')?.value, 0);
    assert.equal(attack!.figures.find((f) => f.id === 'steps')?.value, 40);
  });

  it('a model returning NaN gives NaN figures, never an exception', async () => {
    const nan: ProbeTarget = {
      name: 'nan',
      inputShape: [4],
      forward: (x) => tf.mul(x, NaN),
      inverse: (y) => tf.mul(y, NaN),
      logDet: (x) => tf.fill([x.shape[0]!], NaN),
    };
    const x = data();
    const before = tf.memory().numTensors;
    const res = await runProbes(nan, x, {
      tf,
      probes: PROBE_IDS,
      seed: 1,
      deadline: Date.now() + 30_000,
      settings: { attackSteps: 3, pairSteps: 2, roundTrips: 2 },
    });
    for (const r of res) assert.notEqual(r.status, 'error', `${r.id}: ${r.message}`);
    const fwd = res.find((r) => r.id === 'forward-lipschitz')!;
    assert.deepEqual(
      fwd.figures.find((f) => f.id === 'sigma-max'),
      {
        id: 'sigma-max',
        label: 'Largest Jacobian singular value over the points',
        value: null,
        nonFinite: 'nan',
      },
    );
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  it('a model that throws is recorded per probe', async () => {
    const bad: ProbeTarget = {
      name: 'bad',
      inputShape: [4],
      forward: (x) =>
        x.shape[0] === 1
          ? tf.clone(x)
          : (() => {
              throw new Error('boom in forward');
            })(),
    };
    const x = data();
    const res = await runProbes(bad, x, {
      tf,
      probes: ['forward-lipschitz', 'reconstruction'],
      seed: 1,
      deadline: Date.now() + 30_000,
    });
    assert.equal(res[0]!.status, 'error');
    assert.match(res[0]!.message!, /boom in forward/);
    assert.equal(res[1]!.status, 'skipped');
    x.dispose();
  });

  it('stops at the deadline and on abort with partial results', async () => {
    const slow: ProbeTarget = {
      name: 'id',
      inputShape: [4],
      forward: (x) => tf.clone(x),
      inverse: (y) => tf.clone(y),
    };
    const x = data();
    const late = await runProbes(slow, x, {
      tf,
      probes: ['reconstruction', 'attack'],
      seed: 1,
      deadline: Date.now() - 1,
    });
    assert.deepEqual(
      late.map((r) => r.status),
      ['timeout', 'timeout'],
    );
    const controller = new AbortController();
    const res = await runProbes(slow, x, {
      tf,
      probes: ['attack', 'reconstruction'],
      seed: 1,
      deadline: Date.now() + 30_000,
      signal: controller.signal,
      settings: { attackSteps: 10_000 },
      onProgress: (p) => {
        if (p.probe === 'attack' && p.fraction > 0.001) controller.abort();
      },
    });
    assert.equal(res[0]!.status, 'cancelled');
    assert.ok(res[0]!.figures.length > 0, 'partial figures are kept');
    assert.equal(res[1]!.status, 'cancelled');
    x.dispose();
  });
});
