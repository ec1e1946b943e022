import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Flow } from '../../src/layers/flow';
import { Squeeze } from '../../src/layers/squeeze';
import { assertFlowRoundTrip, assertInvertibleNoLeak } from '../helpers/layer-checks';
import { jacobian, logAbsDet } from '../helpers/linalg';
import { values } from '../helpers/model-io';

describe('Squeeze', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('moves 2x2 patches into channels: tf.depthToSpace undoes it', () => {
    const layer = new Squeeze();
    const x = tf.randomNormal([2, 4, 6, 3], 0, 1, 'float32', 1);
    const y = layer.apply(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 2, 3, 12]);
    assert.deepEqual(layer.computeOutputShape([null, 4, 6, 3]), [null, 2, 3, 12]);
    assert.deepEqual(values(tf.depthToSpace(y as tf.Tensor4D, 2)), Array.from(x.dataSync()));
  });

  it('inverse is exact', () => {
    const layer = new Squeeze();
    const x = tf.randomNormal([3, 6, 4, 5], 0, 1, 'float32', 2);
    assert.deepEqual(values(layer.inverse(layer.apply(x) as tf.Tensor)), Array.from(x.dataSync()));
  });

  it('log-det 0 matches the brute-force Jacobian on [1,2,2,2] = 8 dims; bounds 1', () => {
    const layer = new Squeeze();
    const x = tf.randomNormal([1, 2, 2, 2]);
    const j = jacobian((z) => layer.apply(z) as tf.Tensor, x);
    assert.equal(j.length, 8);
    assert.ok(Math.abs(logAbsDet(j)) <= 1e-6);
    assert.deepEqual(values(layer.logDetJacobian(tf.zeros([2, 2, 2, 2]))), [0, 0]);
    assert.deepEqual(layer.lipschitzBounds(), { forward: 1, inverse: 1 });
  });

  it('allocates nothing beyond its result', () => {
    const layer = new Squeeze();
    const x = tf.randomNormal([2, 4, 4, 2]);
    const y = layer.apply(x) as tf.Tensor;
    assertInvertibleNoLeak(layer, x, y);
  });

  it('rejects odd spatial sizes and wrong ranks, naming the layer', () => {
    assert.throws(
      () => new Squeeze({ name: 'sq_odd' }).apply(tf.zeros([1, 3, 4, 1])),
      /sq_odd: .*even height and width.*3x4/,
    );
    assert.throws(() => new Squeeze({ name: 'sq_odd_w' }).apply(tf.zeros([1, 4, 5, 1])), /sq_odd_w: .*4x5/);
    assert.throws(() => new Squeeze({ name: 'sq_rank' }).apply(tf.zeros([4, 4])), /sq_rank: expects rank 4/);
    assert.throws(
      () => new Squeeze({ name: 'sq_inv' }).inverse(tf.zeros([1, 2, 2, 3])),
      /sq_inv: inverse expects/,
    );
  });

  it('round-trips through model.json + weights.bin', async () => {
    const x = tf.randomNormal([2, 4, 4, 2]);
    const { model, loaded } = await assertFlowRoundTrip(new Squeeze(), x);
    const y = model.predict(x) as tf.Tensor;
    assert.deepEqual(values(Flow.fromModel(loaded).inverse(y)), Array.from(x.dataSync()));
  });
});
