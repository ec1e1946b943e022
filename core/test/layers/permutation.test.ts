import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Permutation } from '../../src/layers/permutation';
import { assertFlowRoundTrip, assertInvertibleNoLeak } from '../helpers/layer-checks';
import { jacobian, logAbsDet } from '../helpers/linalg';
import { values } from '../helpers/model-io';

describe('Permutation', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it("'reverse' flips the last axis and 'shuffle' is reproducible from its seed", () => {
    const x = tf.tensor2d([[0, 1, 2, 3, 4]]);
    assert.deepEqual(values(new Permutation({ mode: 'reverse' }).apply(x)), [4, 3, 2, 1, 0]);
    const a = values(new Permutation({ seed: 42 }).apply(x));
    assert.deepEqual(values(new Permutation({ seed: 42 }).apply(x)), a);
    assert.deepEqual([...a].sort(), [0, 1, 2, 3, 4]);
    assert.notDeepEqual(
      values(new Permutation({ seed: 43 }).apply(tf.range(0, 32).reshape([1, 32]))),
      values(tf.range(0, 32)),
    );
  });

  it('inverse restores rank-2 and NHWC inputs exactly', () => {
    for (const shape of [
      [8, 7],
      [2, 3, 3, 6],
    ]) {
      const layer = new Permutation({ seed: 1 });
      const x = tf.randomNormal(shape, 0, 1, 'float32', 2);
      assert.deepEqual(values(layer.inverse(layer.apply(x) as tf.Tensor)), Array.from(x.dataSync()));
    }
  });

  it('log-det 0 matches the brute-force Jacobian; bounds 1', () => {
    const layer = new Permutation({ seed: 3 });
    const x = tf.randomNormal([1, 6]);
    assert.ok(Math.abs(logAbsDet(jacobian((z) => layer.apply(z) as tf.Tensor, x))) <= 1e-6);
    assert.deepEqual(values(layer.logDetJacobian(tf.zeros([3, 6]))), [0, 0, 0]);
    assert.deepEqual(layer.lipschitzBounds(), { forward: 1, inverse: 1 });
  });

  it('allocates nothing beyond its result', () => {
    const layer = new Permutation();
    const x = tf.randomNormal([2, 6]);
    layer.apply(x);
    assertInvertibleNoLeak(layer, x);
  });

  it('rejects a bad mode, a non-permutation and a size mismatch, naming the layer', () => {
    assert.throws(() => new Permutation({ name: 'pm', mode: 'rotate' as 'reverse' }), /pm: mode/);
    assert.throws(
      () => new Permutation({ name: 'pdup', permutation: [0, 0, 1] }),
      /pdup: permutation is not/,
    );
    assert.throws(
      () => new Permutation({ name: 'psize', permutation: [1, 0] }).apply(tf.zeros([1, 3])),
      /psize: .*2 entries/,
    );
  });

  it('stores the permutation in its config and round-trips through model.json + weights.bin', async () => {
    const layer = new Permutation({ seed: 5 });
    const x = tf.randomNormal([4, 9]);
    layer.apply(x);
    assert.equal((layer.getConfig()['permutation'] as number[]).length, 9);
    await assertFlowRoundTrip(layer, x);
  });
});
