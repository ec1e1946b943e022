/**
 * The independent side of the bound property test: explicit Jacobians by reverse-mode autodiff in float32 (one
 * batched tf.grad per point), their extreme singular values by ml-matrix's SVD in float64.
 */
import * as tf from '@tensorflow/tfjs';
import { Matrix, SVD } from 'ml-matrix';

/** A map on batches whose examples do not interact: [batch, ...in] -> [batch, ...out]. */
export type BatchMap = (x: tf.Tensor) => tf.Tensor;

/**
 * d f(x) / d x at one point x (shape [1, ...in]) as a [outputs, inputs] array: x is tiled once per output and
 * the identity is the cotangent, so row i of the gradient is e_i^T J. Needs f to act on examples independently.
 */
export function jacobianAt(f: BatchMap, x: tf.Tensor): number[][] {
  const inputs = x.size;
  const outputShape = tf.tidy(() => f(x).shape.slice(1));
  const outputs = outputShape.reduce((a, b) => a * b, 1);
  const rows = tf.tidy(() => {
    const tiled = tf.tile(x, [outputs, ...Array<number>(x.rank - 1).fill(1)]);
    const cotangent = tf.eye(outputs).reshape([outputs, ...outputShape]);
    const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(f(z), cotangent)))(tiled);
    return g.reshape([outputs, inputs]).arraySync() as number[][];
  });
  return rows;
}

/** Largest and smallest singular value, in float64 (the smallest is 0 for a non-square matrix). */
export function singularRange(rows: number[][]): { max: number; min: number } {
  const svd = new SVD(new Matrix(rows), {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  const s = svd.diagonal;
  const square = rows.length === rows[0]!.length;
  return { max: Math.max(...s), min: square ? Math.min(...s) : 0 };
}

/** Every entry finite (an overflow in float32 shows as Inf or NaN and must not count as a small value). */
export function allFinite(rows: number[][]): boolean {
  return rows.every((r) => r.every(Number.isFinite));
}
