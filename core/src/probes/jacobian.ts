/**
 * Jacobian products of a flat map at a batch of points. Forward products (J v) use central finite
 * differences because tfjs cannot differentiate a gradient (no forward mode, and grad-of-grad fails for
 * common ops); reverse products (J^T u) use tf.grad, which is exact.
 */
import { matrix, type Matrix64 } from '../linalg/matrix64';
import type { PassCount } from '../report/schema';
import type { Tensor, Tensor2D, Tf } from './target';

/** J_i acting on row i, for every point i of the batch at once. */
export interface BatchedJacobian {
  n: number;
  dIn: number;
  dOut: number;
  /** J v: [n, dIn] -> [n, dOut]. */
  jvp(v: Tensor2D): Tensor2D;
  /** J^T u: [n, dOut] -> [n, dIn]. */
  vjp(u: Tensor2D): Tensor2D;
  /**
   * Relative error of the products as computed (0 or absent: exact up to rounding). Spectral error bars
   * widen by it, since their residuals cannot see it.
   */
  relativeError?: number;
}

export interface JacobianOptions {
  /** Finite-difference step relative to the point's RMS (at least 1): balances float32 rounding and curvature. */
  fdStep: number;
}

export const DEFAULT_FD_STEP = 5e-3;

/**
 * The Jacobian of `f` at the rows of `x` (kept alive by the caller). `f` must map rows independently. The
 * returned functions allocate their results; callers dispose them (or run inside tf.tidy).
 */
export function jacobianAt(
  tf: Tf,
  f: (x: Tensor2D) => Tensor2D,
  x: Tensor2D,
  dOut: number,
  passes: PassCount,
  options: JacobianOptions = { fdStep: DEFAULT_FD_STEP },
): BatchedJacobian {
  const [n, dIn] = x.shape;
  // One step per point: a large-magnitude point needs a proportionally larger step to move past rounding.
  const h = tf.tidy(() => tf.mul(tf.maximum(rms(tf, x), 1), options.fdStep)) as Tensor2D;
  return {
    n,
    dIn,
    dOut,
    // Rounding of the central difference: f(x +- h v) carry ~u |f| each (u the float32 unit roundoff), the
    // step is fdStep times the point's RMS, and |f(x)| <= sigma |x| = sigma sqrt(d) RMS for a linear map, so
    // J v is off by up to u sqrt(d) / (2 fdStep) relative to sigma; 4x that for rounding inside f. Measured on
    // a 12-dimensional linear map: 6e-6 against this 8e-5. Curvature error (O(h^2)) is not included.
    relativeError: (2 * Math.sqrt(Math.max(dIn, dOut)) * 2 ** -24) / options.fdStep,
    // Both sides of the difference in one pass of 2n rows (rows are independent): on wasm a pass of the Glow
    // example is ~100 kernels at ~25 us each, half its time at 16 points, so one pass instead of two saves that.
    jvp: (v) =>
      tf.tidy(() => {
        const hv = tf.mul(v, h);
        const both = f(tf.concat([tf.add(x, hv), tf.sub(x, hv)]) as Tensor2D);
        const [plus, minus] = tf.split(both, 2);
        return tf.div(tf.sub(plus!, minus!), tf.mul(h, 2)) as Tensor2D;
      }),
    vjp: (u) =>
      tf.tidy(() => {
        passes.backward++;
        // The gradient of <f(x), u> is J^T u, row by row, since rows are independent.
        const g = tf.grad((xx: Tensor) => tf.sum(tf.mul(f(xx as Tensor2D), u)));
        return g(x) as Tensor2D;
      }),
  };
}

/** Per-row RMS as a [n, 1] column. */
export function rms(tf: Tf, x: Tensor2D): Tensor2D {
  return tf.tidy(() => tf.sqrt(tf.mean(tf.square(x), 1, true)) as Tensor2D);
}

/** Per-row Euclidean norm as a [n, 1] column. */
export function rowNorm(tf: Tf, x: Tensor): Tensor2D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(x), 1, true)) as Tensor2D);
}

/** Rows scaled to unit norm (a zero row stays zero rather than NaN). */
export function normalizeRows(tf: Tf, x: Tensor2D): Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(rowNorm(tf, x), 1e-30)) as Tensor2D);
}

/**
 * The explicit Jacobian at one point (a row of `x`), one VJP per output coordinate, done as a single
 * backward pass over a batch of dOut copies of the point with the identity as cotangent. Exact up to
 * float32 rounding, unlike finite differences; for small inputs only (dOut copies of the point).
 */
export function explicitJacobian(
  tf: Tf,
  f: (x: Tensor2D) => Tensor2D,
  point: Tensor2D,
  dOut: number,
  passes: PassCount,
): Matrix64 {
  const dIn = point.shape[1];
  const rows = tf.tidy(() => {
    passes.backward++;
    const xs = tf.tile(point, [dOut, 1]) as Tensor2D;
    const eye = tf.eye(dOut);
    const g = tf.grad((xx: Tensor) => tf.sum(tf.mul(f(xx as Tensor2D), eye)));
    return g(xs);
  });
  const data = rows.dataSync();
  rows.dispose();
  // Row k of the gradient batch is e_k^T J, i.e. row k of J.
  return matrix(dOut, dIn, data);
}
