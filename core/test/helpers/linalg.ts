import * as tf from '@tensorflow/tfjs';
import { LuDecomposition, Matrix, SVD } from 'ml-matrix';

/** Independent references for layer tests: SVD and determinants from ml-matrix, Jacobians by autodiff. */

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

/** Jacobian dF_i/dx_j of a batch-wise map F at a single point x, one tf.grad per output. */
export function autodiffJacobian(f: (x: tf.Tensor2D) => tf.Tensor2D, x: number[]): number[][] {
  const d = x.length;
  const xt = tf.tensor2d([x]);
  const rows: number[][] = [];
  for (let i = 0; i < d; i++) {
    const g = tf.tidy(() =>
      tf.grad((z: tf.Tensor) =>
        f(z as tf.Tensor2D)
          .slice([0, i], [1, 1])
          .sum(),
      )(xt),
    );
    rows.push(Array.from(g.dataSync()));
    g.dispose();
  }
  xt.dispose();
  return rows;
}

export function logAbsDetReference(m: number[][]): number {
  return Math.log(Math.abs(new LuDecomposition(new Matrix(m)).determinant));
}

export function relativeError(estimate: number, truth: number): number {
  return Math.abs(estimate - truth) / Math.abs(truth);
}
