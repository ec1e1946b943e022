/**
 * Independent references for the layer tests: Jacobians by autodiff, determinants and singular values from
 * ml-matrix, explicit operator matrices, and error measures.
 */
import * as tf from '@tensorflow/tfjs';
import { LuDecomposition, Matrix, SVD } from 'ml-matrix';

/**
 * d f(x) / d x for a single example (batch 1), flattened to [outputs, inputs]: one tf.grad per output
 * entry, which is plenty for the 2 to 8 dimensions these tests use.
 */
export function jacobian(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): number[][] {
  const outputs = tf.tidy(() => f(x).size);
  const rows: number[][] = [];
  for (let i = 0; i < outputs; i++) {
    const row = tf.tidy(() => {
      const g = tf.grad((z: tf.Tensor) => tf.gather(tf.reshape(f(z), [-1]), [i]).sum());
      return Array.from(g(x).dataSync());
    });
    rows.push(row);
  }
  return rows;
}

/** log|det m| as the sum of log|u_ii| of an LU factorisation (no overflow for larger products). */
export function logAbsDet(m: number[][]): number {
  const lu = new LuDecomposition(new Matrix(m));
  const u = lu.upperTriangularMatrix;
  let sum = 0;
  for (let i = 0; i < m.length; i++) sum += Math.log(Math.abs(u.get(i, i)));
  return sum;
}

export function largestSingularValue(rows: number[][]): number {
  const svd = new SVD(new Matrix(rows), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  return Math.max(...svd.diagonal);
}

/** The matrix of x -> x W for a dense kernel W [in, out], acting on column vectors: W^T. */
export function denseOperatorMatrix(kernel: tf.Tensor2D): number[][] {
  return new Matrix(kernel.arraySync()).transpose().to2DArray();
}

/**
 * The explicit matrix of x -> conv2d(x, kernel) on inputs [h, w, cin]: column j is the flattened output for
 * the j-th basis image (all basis images go through one batched conv).
 */
export function convOperatorMatrix(
  kernel: tf.Tensor4D,
  inputShape: [number, number, number],
  strides: [number, number],
  padding: 'same' | 'valid',
): number[][] {
  const n = inputShape[0] * inputShape[1] * inputShape[2];
  const out = tf.tidy(() => {
    const basis = tf.eye(n).reshape([n, ...inputShape]) as tf.Tensor4D;
    return tf.conv2d(basis, kernel, strides, padding).reshape([n, -1]) as tf.Tensor2D;
  });
  const columns = out.arraySync();
  out.dispose();
  return new Matrix(columns).transpose().to2DArray();
}

/** max |a - b| / max |b|: for numbers in float64, for tensors over all entries. */
export function relError(a: number, b: number): number;
export function relError(a: tf.Tensor, b: tf.Tensor): number;
export function relError(a: number | tf.Tensor, b: number | tf.Tensor): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) / Math.abs(b);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(b)).dataSync()[0]!);
}

/** Largest observed ratio |f(a) - f(b)| / |a - b| over random nearby pairs: a lower bound on Lip(f). */
export function empiricalLipschitz(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, scale = 1e-2): number {
  return tf.tidy(() => {
    const d = tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', 7), scale);
    const num = tf.sqrt(
      tf.sum(
        tf.square(tf.sub(f(tf.add(x, d)), f(x))),
        Array.from({ length: x.rank - 1 }, (_, i) => i + 1),
      ),
    );
    const den = tf.sqrt(
      tf.sum(
        tf.square(d),
        Array.from({ length: x.rank - 1 }, (_, i) => i + 1),
      ),
    );
    return tf.max(tf.div(num, den)).dataSync()[0]!;
  });
}
