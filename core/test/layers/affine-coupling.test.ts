import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AffineCoupling, type AffineScale } from '../../src/layers/affine-coupling';
import { assertFlowRoundTrip, assertInvertibleNoLeak } from '../helpers/layer-checks';
import { jacobian, logAbsDet, relError } from '../helpers/linalg';

const SCALES: AffineScale[] = ['exp', 'sigmoid', 'bounded-tanh', 'sigmoid-floor'];

describe('AffineCoupling', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const make = (scale: AffineScale, seed = 1) =>
    new AffineCoupling({
      scale,
      hiddenUnits: 16,
      hiddenChannels: 4,
      zeroInit: false,
      seed,
      scaleBound: 3,
      scaleFloor: 0.1,
    });

  for (const scale of SCALES) {
    it(`${scale}: inverse reconstructs rank-2 and rank-4 inputs`, () => {
      for (const shape of [
        [16, 6],
        [2, 4, 4, 4],
      ]) {
        const layer = make(scale);
        const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
        const y = layer.apply(x) as tf.Tensor;
        assert.ok(relError(y, x) > 1e-2);
        const err = relError(layer.inverse(y), x);
        assert.ok(err <= 1e-5, `relative error ${err}`);
      }
    });

    it(`${scale}: log-det matches the brute-force Jacobian on 4 and 8 dimensions`, () => {
      for (const shape of [
        [1, 4],
        [1, 2, 2, 2],
      ]) {
        const layer = make(scale, 7);
        const x = tf.randomNormal(shape, 0, 1, 'float32', 8);
        const brute = logAbsDet(jacobian((z) => layer.apply(z) as tf.Tensor, x));
        const mine = layer.logDetJacobian(x).dataSync()[0]!;
        assert.ok(Math.abs(brute) > 1e-2, 'the test exercises a non-trivial scale');
        assert.ok(Math.abs(brute - mine) <= 1e-3, `${scale} ${shape}: ${brute} vs ${mine}`);
      }
    });
  }

  it('bounded forms keep every log s inside the documented range even for huge conditioner outputs', () => {
    for (const [scale, lo, hi] of [
      ['bounded-tanh', -Math.log(3), Math.log(3)],
      ['sigmoid-floor', Math.log(0.1), 0],
    ] as const) {
      const layer = make(scale);
      const x = tf.mul(tf.randomNormal([64, 6], 0, 1, 'float32', 9), 1e3);
      const logDet = layer.logDetJacobian(x).dataSync();
      // 3 scaled channels per example.
      for (const v of logDet) assert.ok(v >= 3 * lo - 1e-4 && v <= 3 * hi + 1e-4, `${scale}: ${v}`);
      assert.deepEqual(layer.scaleRange(), scale === 'bounded-tanh' ? [1 / 3, 3] : [0.1, 1]);
    }
  });

  it('reports Infinity globally while s depends on x1, and x2-direction gains from the scale range', () => {
    const gains = SCALES.map((s) => make(s).x2Gains());
    assert.deepEqual(gains, [
      { forward: Infinity, inverse: Infinity },
      { forward: 1, inverse: Infinity },
      { forward: 3, inverse: 3 },
      { forward: 1, inverse: 10 },
    ]);
    for (const scale of SCALES) {
      const layer = make(scale);
      layer.apply(tf.zeros([1, 6]));
      assert.deepEqual(layer.lipschitzBounds(), { forward: Infinity, inverse: Infinity });
    }
  });

  it('gives finite global bounds when the scale branch is constant (zero init), Infinity for exp', () => {
    const bounded = new AffineCoupling({ scale: 'bounded-tanh', scaleBound: 2, hiddenUnits: 8 });
    bounded.apply(tf.zeros([1, 4]));
    assert.deepEqual(bounded.lipschitzBounds(), { forward: 2, inverse: 2 });
    const floor = new AffineCoupling({ scale: 'sigmoid-floor', scaleFloor: 0.25, hiddenUnits: 8 });
    floor.apply(tf.zeros([1, 4]));
    assert.deepEqual(floor.lipschitzBounds(), { forward: 1, inverse: 4 });
    const exp = new AffineCoupling({ scale: 'exp', hiddenUnits: 8 });
    exp.apply(tf.zeros([1, 4]));
    assert.equal(exp.lipschitzBounds().forward, Infinity);
  });

  it('allocates nothing beyond its result', () => {
    const layer = make('sigmoid-floor');
    const x = tf.randomNormal([2, 4, 4, 4]);
    layer.apply(x);
    assertInvertibleNoLeak(layer, x);
  });

  it('rejects bad scale settings, odd channels and wrong ranks, naming the layer', () => {
    for (const bound of [1, 0.5, -2, Infinity, NaN]) {
      assert.throws(
        () => new AffineCoupling({ name: 'aff', scaleBound: bound }),
        /aff: scaleBound must be a finite number > 1/,
      );
    }
    for (const floor of [0, 1, 1.5, -0.1, NaN]) {
      assert.throws(
        () => new AffineCoupling({ name: 'aff', scaleFloor: floor }),
        /aff: scaleFloor must lie in \(0, 1\)/,
      );
    }
    assert.throws(
      () => new AffineCoupling({ name: 'aff', scale: 'softmax' as AffineScale }),
      /aff: scale must be one of exp, sigmoid, bounded-tanh, sigmoid-floor/,
    );
    assert.throws(
      () => new AffineCoupling({ name: 'aff_odd' }).apply(tf.zeros([1, 2, 2, 3])),
      /aff_odd: .*even.*got 3/,
    );
    assert.throws(
      () => new AffineCoupling({ name: 'aff_r5' }).apply(tf.zeros([1, 2, 2, 2, 2])),
      /aff_r5: .*rank 5/,
    );
  });

  it('round-trips every scale form through model.json + weights.bin', async () => {
    for (const scale of SCALES) {
      await assertFlowRoundTrip(make(scale), tf.randomNormal([8, 6], 0, 1, 'float32', 10));
    }
  });
});
