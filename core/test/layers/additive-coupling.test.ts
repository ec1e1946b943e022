import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { assertFlowRoundTrip, assertInvertibleNoLeak } from '../helpers/layer-checks';
import { empiricalLipschitz, jacobian, logAbsDet, relError } from '../helpers/linalg';
import { values } from '../helpers/model-io';

describe('AdditiveCoupling', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const dense = () => new AdditiveCoupling({ hiddenUnits: 16, zeroInit: false, seed: 1 });
  const conv = () =>
    new AdditiveCoupling({ hiddenChannels: 4, zeroInit: false, seed: 2, activation: 'tanh' });

  for (const [label, make, shape] of [
    ['dense', dense, [16, 6]],
    ['conv', conv, [2, 4, 4, 4]],
  ] as const) {
    it(`${label}: inverse(forward(x)) reconstructs x`, () => {
      const layer = make();
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 3);
      const y = layer.apply(x) as tf.Tensor;
      assert.ok(relError(y, x) > 1e-2, 'a non-zero-initialised coupling changes its input');
      assert.ok(relError(layer.inverse(y), x) <= 1e-5);
    });

    it(`${label}: bounds dominate the observed gains both ways`, () => {
      const layer = make();
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 4);
      layer.apply(x);
      const { forward, inverse } = layer.lipschitzBounds();
      const fwd = empiricalLipschitz((z) => layer.apply(z) as tf.Tensor, x);
      const inv = empiricalLipschitz((z) => layer.inverse(z), x);
      assert.ok(Number.isFinite(forward) && forward === inverse);
      assert.ok(fwd <= forward && inv <= inverse, `observed ${fwd}, ${inv} vs bound ${forward}`);
    });
  }

  it('has log-det 0, matching the brute-force Jacobian (dense 4 dims, conv [1,2,2,2] = 8 dims)', () => {
    for (const [layer, shape] of [
      [dense(), [1, 4]],
      [conv(), [1, 2, 2, 2]],
    ] as const) {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 5);
      const j = jacobian((z) => layer.apply(z) as tf.Tensor, x);
      assert.equal(
        j.length,
        shape.reduce((a: number, b: number) => a * b, 1),
      );
      assert.ok(Math.abs(logAbsDet(j) - layer.logDetJacobian(x).dataSync()[0]!) <= 1e-3);
      assert.deepEqual(layer.logDetJacobian(tf.zeros([3, ...shape.slice(1)])).shape, [3]);
    }
  });

  it('zero-initialised (Glow) starts as the identity with bounds 1', () => {
    const layer = new AdditiveCoupling({ hiddenUnits: 8 });
    const x = tf.randomNormal([4, 6]);
    assert.deepEqual(values(layer.apply(x)), Array.from(x.dataSync()));
    assert.deepEqual(layer.lipschitzBounds(), { forward: 1, inverse: 1 });
  });

  it('allocates nothing beyond its result in forward, inverse and log-det', () => {
    const layer = conv();
    const x = tf.randomNormal([2, 4, 4, 4]);
    layer.apply(x);
    assertInvertibleNoLeak(layer, x);
  });

  it('rejects an odd channel count and unsupported ranks, naming the layer', () => {
    assert.throws(
      () => new AdditiveCoupling({ name: 'odd_block' }).apply(tf.zeros([2, 5])),
      /odd_block: .*even/,
    );
    assert.throws(
      () => new AdditiveCoupling({ name: 'rank3' }).apply(tf.zeros([2, 3, 4])),
      /rank3: .*rank 3/,
    );
    assert.throws(() => new AdditiveCoupling({ name: 'w0', hiddenUnits: 0 }), /w0: hiddenUnits/);
  });

  it('round-trips config and weights through model.json + weights.bin', async () => {
    await assertFlowRoundTrip(conv(), tf.randomNormal([2, 4, 4, 4], 0, 1, 'float32', 6));
  });
});
