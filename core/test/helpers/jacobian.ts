/** Brute-force references for the invertible layer tests: full Jacobians by autodiff and log|det| by LU. */
import * as tf from '@tensorflow/tfjs';
import { LuDecomposition, Matrix } from 'ml-matrix';

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

/** max |a - b| / max |b|. */
export function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(b)).dataSync()[0]!);
}

/** Tensors left behind by `fn` once its returned tensors are disposed. */
export function leakedTensors(
  fn: () => tf.Tensor | tf.Tensor[] | { [key: string]: tf.Tensor } | undefined,
): number {
  const before = tf.memory().numTensors;
  const out = fn();
  if (out instanceof tf.Tensor) out.dispose();
  else if (Array.isArray(out)) tf.dispose(out);
  else if (out !== undefined) tf.dispose(Object.values(out));
  return tf.memory().numTensors - before;
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
