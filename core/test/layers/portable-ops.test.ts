import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { conv2d, conv2dFilterGradient, permuteLastAxis } from '../../src/layers/portable-ops';

/** Largest |a - b| over two tensors. */
function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('portable ops agree with tfjs on cpu, where every gradient kernel exists', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('permuteLastAxis: the same values and gradient as tf.gather', () => {
    const perm = [2, 0, 3, 1];
    const inv = [1, 3, 0, 2];
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const u = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 2);
    assert.deepEqual(permuteLastAxis(x, perm, inv).arraySync(), tf.gather(x, perm, 2).arraySync());
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(permuteLastAxis(t, perm, inv), u)))(x);
    const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, perm, 2), u)))(x);
    assert.deepEqual(ours.arraySync(), theirs.arraySync());
  });

  for (const [size, k, stride, padding] of [
    [5, 3, 1, 'same'],
    [6, 3, 1, 'valid'],
    [7, 3, 2, 'same'],
    [7, 3, 2, 'valid'],
    [8, 2, 2, 'same'],
    [4, 1, 1, 'same'],
    [7, 4, 1, 'same'],
    [6, 4, 3, 'same'],
  ] as const) {
    it(`conv2d ${k}x${k}, stride ${stride}, '${padding}' on ${size}x${size}: the filter gradient of tfjs`, () => {
      const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const w = tf.randomNormal([k, k, 3, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
      const y = tf.conv2d(x, w, stride, padding);
      const u = tf.randomNormal(y.shape, 0, 1, 'float32', 5) as tf.Tensor4D;
      const theirs = tf.grad((b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(x, b as tf.Tensor4D, stride, padding), u)),
      )(w);
      const ours = conv2dFilterGradient(x, u, w.shape, [stride, stride], padding);
      // The same products summed in another order.
      assert.ok(maxDiff(ours, theirs) <= 1e-5 * Math.max(1, tf.max(tf.abs(theirs)).dataSync()[0]!));
      // Where the backend has the kernel, conv2d's gradients are tfjs's own, to the bit.
      const loss =
        (f: typeof conv2d) =>
        (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
          tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D, stride, padding), u));
      const [dxOurs, dwOurs] = tf.grads(loss(conv2d))([x, w]);
      const [dxTheirs, dwTheirs] = tf.grads(loss(tf.conv2d))([x, w]);
      assert.deepEqual(dxOurs!.arraySync(), dxTheirs!.arraySync());
      assert.deepEqual(dwOurs!.arraySync(), dwTheirs!.arraySync());
    });
  }
});
