import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { selectBackend } from '../../src/backend/select-backend';
import {
  conv2d,
  conv2dFilterGradient,
  conv2dInputGradient,
  permuteLastAxis,
} from '../../src/layers/portable-ops';

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

/** Stride-1 geometries [batch, size, kernel, padding]: odd and even kernels, both paddings, both sides of the cutoff. */
const STRIDE_ONE = [
  [1, 5, 3, 'same'],
  [4, 5, 3, 'same'],
  [3, 6, 3, 'valid'],
  [2, 7, 4, 'same'],
  [2, 6, 2, 'valid'],
  [4, 4, 1, 'same'],
] as const;

/** d<sum(conv2d(x, w) * u)>/dx by tfjs's Conv2DBackpropInput on cpu: the reference. */
function cpuInputGradient(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  u: tf.Tensor4D,
  padding: 'same' | 'valid',
): number[] {
  const native = tf.conv2dTranspose(u, w, x.shape, 1, padding);
  const out = Array.from(native.dataSync());
  native.dispose();
  return out;
}

function relativeGap(a: readonly number[], b: readonly number[]): number {
  let gap = 0;
  let scale = 0;
  a.forEach((v, i) => {
    gap = Math.max(gap, Math.abs(v - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  });
  return gap / Math.max(scale, 1e-30);
}

describe('conv2d input gradient as a forward convolution (issue 12, item 7)', () => {
  for (const [batch, size, k, padding] of STRIDE_ONE) {
    const name = `${k}x${k} '${padding}' on ${batch}x${size}x${size}`;
    const operands = (): { x: tf.Tensor4D; w: tf.Tensor4D; u: tf.Tensor4D } => {
      const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      const w = tf.randomNormal([k, k, 3, 5], 0, 1, 'float32', 7) as tf.Tensor4D;
      const y = tf.conv2d(x, w, 1, padding);
      const u = tf.randomNormal(y.shape, 0, 1, 'float32', 8) as tf.Tensor4D;
      y.dispose();
      return { x, w, u };
    };

    it(`${name}: conv2dInputGradient equals Conv2DBackpropInput on cpu`, async () => {
      await tf.setBackend('cpu');
      const { x, w, u } = operands();
      const ours = conv2dInputGradient(u, w, x.shape, padding);
      assert.deepEqual(ours.shape, x.shape);
      assert.ok(relativeGap(Array.from(ours.dataSync()), cpuInputGradient(x, w, u, padding)) <= 1e-6);
      tf.dispose([x, w, u, ours]);
    });

    it(`${name}: conv2d's input gradient on wasm equals cpu's`, async () => {
      await tf.setBackend('cpu');
      const { x, w, u } = operands();
      const reference = cpuInputGradient(x, w, u, padding);
      const values = { x: x.arraySync(), w: w.arraySync(), u: u.arraySync() };
      tf.dispose([x, w, u]);
      const choice = await selectBackend({ prefer: 'wasm' });
      assert.equal(choice.kind, 'wasm', `wasm backend did not initialise: ${choice.notes.join('; ')}`);
      const [xw, ww, uw] = [values.x, values.w, values.u].map((v) => tf.tensor(v)) as tf.Tensor4D[];
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(conv2d(t as tf.Tensor4D, ww!, 1, padding), uw!)))(
        xw!,
      );
      assert.ok(relativeGap(Array.from(dx.dataSync()), reference) <= 1e-5);
      tf.dispose([xw!, ww!, uw!, dx]);
    });
  }

  after(async () => {
    await tf.setBackend('cpu');
  });
});
