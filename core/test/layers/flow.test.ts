import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ActNorm } from '../../src/layers/act-norm';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import { Flow, type InvertibleLayer } from '../../src/layers/flow';
import type { InverseReport } from '../../src/layers/invertible';
import { InvertibleConv1x1 } from '../../src/layers/invertible-conv1x1';
import { Permutation } from '../../src/layers/permutation';
import { Squeeze } from '../../src/layers/squeeze';
import { assertNoLeak, assertSaveLoadRoundTrip, leakedTensors } from '../helpers/layer-checks';
import { jacobian, logAbsDet, relError } from '../helpers/linalg';
import { values } from '../helpers/model-io';

/** A Glow-like multi-scale stack on NHWC inputs with 2 channels. */
function glow(seed: number): Flow {
  const common = { zeroInit: false, hiddenChannels: 4, seed };
  return new Flow([
    new ActNorm(),
    new InvertibleConv1x1({ seed }),
    new AffineCoupling({ ...common, scale: 'sigmoid-floor', scaleFloor: 0.2 }),
    new Squeeze(),
    new AdditiveCoupling({ ...common, seed: seed + 1 }),
    new Permutation({ seed }),
    new AffineCoupling({ ...common, seed: seed + 2, scale: 'bounded-tanh', scaleBound: 2 }),
    new ActNorm(),
  ]);
}

/** A closed-form block that pretends to be iterative, to exercise inverseReports(). */
class ReportingPermutation extends Permutation {
  static override className = 'ReportingPermutation';
  lastInverseReport(): InverseReport {
    return { iterations: 3, residual: 1e-7, converged: true };
  }
}

describe('Flow', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('inverts a stack of eight blocks after data-dependent init', () => {
    const flow = glow(1);
    const x = tf.randomNormal([16, 4, 4, 2], 0.5, 2, 'float32', 2);
    flow.initialize(x);
    const y = flow.forward(x);
    assert.deepEqual(y.shape, [16, 2, 2, 8]);
    const err = relError(flow.inverse(y), x);
    assert.ok(err <= 1e-5, `relative error ${err}`);
  });

  it('sums block log-dets to the brute-force log|det| on [1,2,2,2] = 8 dims', () => {
    const flow = glow(3);
    flow.initialize(tf.randomNormal([8, 2, 2, 2], 1, 3, 'float32', 4));
    const x = tf.randomNormal([1, 2, 2, 2], 0, 1, 'float32', 5);
    const brute = logAbsDet(jacobian((z) => flow.forward(z), x));
    const mine = flow.logDetJacobian(x).dataSync()[0]!;
    assert.ok(Math.abs(brute) > 0.1);
    assert.ok(Math.abs(brute - mine) <= 1e-3, `${brute} vs ${mine}`);
    const { y, logDet } = flow.forwardWithLogDet(x);
    assert.deepEqual(values(y), values(flow.forward(x)));
    assert.equal(logDet.dataSync()[0], mine);
  });

  it('multiplies the block bounds', () => {
    const flow = new Flow([
      new AdditiveCoupling({ zeroInit: false, hiddenUnits: 4, seed: 6 }),
      new Permutation(),
      new ActNorm(),
    ]);
    flow.forward(tf.randomNormal([4, 4]));
    const expected = flow.blocks.reduce((p, b) => p * b.lipschitzBounds().forward, 1);
    assert.equal(flow.lipschitzBounds().forward, expected);
    assert.ok(Number.isFinite(expected) && expected > 1);
  });

  it('collects the reports of iterative blocks only', () => {
    const flow = new Flow([new Permutation(), new ReportingPermutation({ name: 'iterative' })]);
    flow.forward(tf.zeros([1, 4]));
    assert.deepEqual(flow.inverseReports(), [
      { layer: 'iterative', report: { iterations: 3, residual: 1e-7, converged: true } },
    ]);
  });

  it('allocates nothing beyond its results', () => {
    const flow = glow(7);
    const x = tf.randomNormal([2, 4, 4, 2]);
    flow.initialize(x);
    assertNoLeak(() => flow.forward(x));
    assert.equal(
      leakedTensors(() => flow.inverse(tf.zeros([2, 2, 2, 8]))),
      1,
      'only the zeros input is left',
    );
    assertNoLeak(() => flow.logDetJacobian(x));
    assertNoLeak(() => flow.forwardWithLogDet(x));
    assertNoLeak(() => void flow.lipschitzBounds());
  });

  it('rejects blocks that are not invertible', () => {
    assert.throws(
      () => new Flow([tf.layers.dense({ units: 2, name: 'plain' }) as unknown as InvertibleLayer]),
      /block 0 \(plain\)/,
    );
  });

  it('saves as a functional model and a loaded model inverts through Flow.fromModel', async () => {
    const flow = glow(8);
    const x = tf.randomNormal([4, 4, 4, 2], 0, 1, 'float32', 9);
    flow.initialize(x);
    const model = flow.toModel([4, 4, 2], 'glow_like');
    const { loaded } = await assertSaveLoadRoundTrip(model, x);
    assert.deepEqual(values(loaded.predict(x)), values(flow.forward(x)));
    const restored = Flow.fromModel(loaded);
    assert.deepEqual(
      restored.blocks.map((b) => b.getClassName()),
      flow.blocks.map((b) => b.getClassName()),
    );
    const y = flow.forward(x);
    assert.deepEqual(values(restored.inverse(y)), values(flow.inverse(y)));
    assert.deepEqual(values(restored.logDetJacobian(x)), values(flow.logDetJacobian(x)));
    assert.deepEqual(restored.lipschitzBounds(), flow.lipschitzBounds());
  });
});
