import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ActNorm } from '../../src/layers/act-norm';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import type { InvertibleLayer } from '../../src/layers/flow';
import type { InverseReport } from '../../src/layers/invertible';
import { InvertibleConv1x1 } from '../../src/layers/invertible-conv1x1';
import { MultiScaleFlow } from '../../src/layers/multi-scale-flow';
import { Permutation } from '../../src/layers/permutation';
import { assertNoLeak } from '../helpers/layer-checks';
import { jacobian, logAbsDet, relError } from '../helpers/linalg';
import { values } from '../helpers/model-io';

/** One Glow step with a bounded affine coupling. */
function step(seed: number): InvertibleLayer[] {
  return [
    new ActNorm(),
    new InvertibleConv1x1({ seed }),
    new AffineCoupling({
      zeroInit: false,
      hiddenChannels: 4,
      seed: seed + 1,
      scale: 'bounded-tanh',
      scaleBound: 2,
    }),
  ];
}

/** Two levels: [b, 8, 8, 2] -> latents [b, 4, 4, 4] and [b, 2, 2, 16]. */
function glow(seed: number, name?: string): MultiScaleFlow {
  return new MultiScaleFlow({
    levels: [
      [...step(seed), new AdditiveCoupling({ zeroInit: false, hiddenChannels: 4, seed: seed + 2 })],
      step(seed + 3),
    ],
    ...(name === undefined ? {} : { name }),
  });
}

/** A closed-form block that pretends to be iterative, to exercise inverseReports(). */
class ReportingPermutation extends Permutation {
  static override className = 'ReportingPermutation';
  lastInverseReport(): InverseReport {
    return { iterations: 2, residual: 1e-8, converged: true };
  }
}

describe('MultiScaleFlow', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('factors out a latent per level and reconstructs from all of them', () => {
    const flow = glow(1);
    const x = tf.randomNormal([2, 8, 8, 2], 0.5, 2, 'float32', 2);
    flow.initialize(x);
    const { latents } = flow.forward(x);
    assert.deepEqual(
      latents.map((z) => z.shape),
      [
        [2, 4, 4, 4],
        [2, 2, 2, 16],
      ],
    );
    assert.deepEqual(flow.latentShapes([8, 8, 2]), [
      [4, 4, 4],
      [2, 2, 16],
    ]);
    assert.deepEqual(flow.inputShape, [8, 8, 2]);
    const err = relError(flow.inverse(latents), x);
    assert.ok(err <= 1e-5, `relative error ${err}`);
    const flat = flow.flatten(latents);
    assert.deepEqual(flat.shape, [2, 128]);
    const errFlat = relError(flow.inverse(flow.unflatten(flat)), x);
    assert.ok(errFlat <= 1e-5, `relative error through the flat view ${errFlat}`);
  });

  it('refuses a missing, extra or misshapen latent, naming the flow', () => {
    const flow = glow(3, 'msf_inv');
    const x = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 4);
    const { latents } = flow.forward(x);
    assert.throws(() => flow.inverse([latents[1]!]), /msf_inv: inverse needs 2 latents .*got 1/);
    assert.throws(() => flow.inverse([...latents, latents[1]!]), /msf_inv: inverse needs 2 latents .*got 3/);
    assert.throws(() => flow.inverse(latents[1]!), /msf_inv: inverse needs the list of all 2 latents/);
    assert.throws(
      () => flow.inverse([tf.zeros([2, 4, 4, 2]), latents[1]!]),
      /msf_inv: latent 0 has shape \[2, 4, 4, 2\], but level 0 factors out \[2, 4, 4, 4\]/,
    );
    assert.throws(() => flow.unflatten(tf.zeros([2, 100])), /msf_inv: unflatten expects \[batch, 128\]/);
    assert.throws(() => flow.flatten([latents[0]!]), /msf_inv: flatten needs 2 latents/);
  });

  it('rejects bad configuration, naming the flow', () => {
    assert.throws(
      () => new MultiScaleFlow({ levels: [], name: 'msf_empty' }),
      /msf_empty: needs at least one/,
    );
    assert.throws(
      () =>
        new MultiScaleFlow({
          levels: [[tf.layers.dense({ units: 2 }) as unknown as InvertibleLayer]],
          name: 'msf_d',
        }),
      /msf_d: level 0, step 0 .* is not invertible/,
    );
    assert.throws(
      () => new MultiScaleFlow({ levels: [[], []], inputShape: [6, 6, 1], name: 'msf_shape' }),
      /msf_shape: input shape \[6, 6, 1\] needs height and width divisible by 2\^levels = 4/,
    );
    assert.throws(
      () => new MultiScaleFlow({ levels: [[]], name: 'msf_unknown' }).sample(2),
      /msf_unknown: the input shape is unknown/,
    );
  });

  it('sums step log-dets to the brute-force log|det| of the flat bijection on [1,4,4,1] = 16 dims', () => {
    const flow = glow(5);
    flow.initialize(tf.randomNormal([8, 4, 4, 1], 1, 3, 'float32', 6));
    const x = tf.randomNormal([1, 4, 4, 1], 0, 1, 'float32', 7);
    const j = jacobian((z) => flow.flatten(flow.forward(z).latents), x);
    assert.equal(j.length, 16);
    const brute = logAbsDet(j);
    const mine = flow.logDetJacobian(x).dataSync()[0]!;
    assert.ok(Math.abs(brute) > 0.1, `log-det ${brute} is not trivially 0`);
    assert.ok(Math.abs(brute - mine) <= 1e-3, `${brute} vs ${mine}`);
    const { latents, logDet } = flow.forwardWithLogDet(x);
    assert.deepEqual(values(flow.flatten(latents)), values(flow.flatten(flow.forward(x).latents)));
    assert.equal(logDet.dataSync()[0], mine);
    // The per-level log-dets add up to the whole.
    const h = flow.levelForward(0, x).h;
    const perLevel = flow.levelLogDet(0, x).dataSync()[0]! + flow.levelLogDet(1, h).dataSync()[0]!;
    assert.ok(Math.abs(perLevel - mine) <= 1e-4, `${perLevel} vs ${mine}`);
  });

  it('samples finite values of the input shape at T = 0.5 and 1', () => {
    const flow = glow(8);
    flow.initialize(tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 9));
    for (const t of [0.5, 1]) {
      const s = flow.sample(6, t, 10);
      assert.deepEqual(s.shape, [6, 8, 8, 2]);
      const v = values(s);
      assert.ok(
        v.every((e) => Number.isFinite(e)),
        `non-finite sample at T = ${t}`,
      );
      assert.deepEqual(values(flow.sample(6, t, 10)), v, 'a seed makes sampling reproducible');
    }
    const cold = flow.sample(3, 0, 1);
    const mode = flow.inverse(flow.latentShapes().map((shape) => tf.zeros([3, ...shape])));
    assert.deepEqual(values(cold), values(mode));
  });

  it('multiplies the step bounds and collects the reports of iterative steps', () => {
    const flow = new MultiScaleFlow({
      levels: [
        [new AdditiveCoupling({ zeroInit: false, hiddenChannels: 4, seed: 11 })],
        [new ReportingPermutation({ name: 'iter' })],
      ],
    });
    flow.forward(tf.randomNormal([1, 4, 4, 1])).latents.forEach((z) => z.dispose());
    const expected = flow.steps.reduce((p, b) => p * b.lipschitzBounds().forward, 1);
    assert.equal(flow.lipschitzBounds().forward, expected);
    assert.ok(Number.isFinite(expected) && expected > 1);
    assert.deepEqual(flow.inverseReports(), [
      { layer: 'iter', report: { iterations: 2, residual: 1e-8, converged: true } },
    ]);
  });

  it('allocates nothing beyond its results', () => {
    const flow = glow(12);
    const x = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 13);
    flow.initialize(x);
    const { latents } = flow.forward(x);
    const flat = flow.flatten(latents);
    const before = tf.memory().numTensors;
    flow.initialize(x);
    assert.equal(tf.memory().numTensors, before, 'initialize');
    assertNoLeak(() => flow.forward(x).latents, 'forward');
    assertNoLeak(() => flow.forwardWithLogDet(x), 'forwardWithLogDet');
    assertNoLeak(() => flow.inverse(latents), 'inverse');
    assertNoLeak(() => flow.logDetJacobian(x), 'logDetJacobian');
    assertNoLeak(() => flow.flatten(latents), 'flatten');
    assertNoLeak(() => flow.unflatten(flat), 'unflatten');
    assertNoLeak(() => flow.sample(3, 0.7, 1), 'sample');
    assertNoLeak(() => flow.levelForward(0, x), 'levelForward');
    assertNoLeak(() => flow.levelLogDet(0, x), 'levelLogDet');
    assertNoLeak(() => void flow.lipschitzBounds(), 'lipschitzBounds');
    assert.throws(() => flow.inverse([latents[1]!]));
    assert.equal(tf.memory().numTensors, before, 'a refused inverse');
  });
});
