/** Test models with known spectra, built from plain tfjs ops in the `ProbeTarget` shape. */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/probes/rng';
import type { ProbeTarget } from '../../src/probes/target';

/** A random orthogonal matrix (Gram-Schmidt on seeded normals), row-major d x d. */
export function orthogonal(d: number, rng: Rng): number[][] {
  const q: number[][] = [];
  while (q.length < d) {
    let v = Array.from(rng.normals(d));
    for (const b of q) {
      const dot = v.reduce((s, x, i) => s + x * b[i]!, 0);
      v = v.map((x, i) => x - dot * b[i]!);
    }
    const norm = Math.hypot(...v);
    if (norm > 1e-6) q.push(v.map((x) => x / norm));
  }
  return q;
}

/** A = U diag(s) V^T, row-major. */
export function withSingularValues(s: number[], seed = 1): number[][] {
  const d = s.length;
  const rng = new Rng(seed);
  const u = orthogonal(d, rng);
  const v = orthogonal(d, rng);
  return Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => s.reduce((acc, sk, k) => acc + u[k]![i]! * sk * v[k]![j]!, 0)),
  );
}

function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i]![k]!) > Math.abs(m[p]![k]!)) p = i;
    [m[k], m[p]] = [m[p]!, m[k]!];
    const pv = m[k]![k]!;
    m[k] = m[k]!.map((x) => x / pv);
    for (let i = 0; i < n; i++)
      if (i !== k) {
        const f = m[i]![k]!;
        m[i] = m[i]!.map((x, j) => x - f * m[k]![j]!);
      }
  }
  return m.map((row) => row.slice(n));
}

/** The linear map x -> A x on rows, with its exact inverse and log-det. */
export function linearTarget(a: number[][], name = 'linear'): ProbeTarget {
  const d = a.length;
  const at = tf.tensor2d(a).transpose();
  const ainvT = tf.tensor2d(invert(a)).transpose();
  let logDet = 0;
  {
    // log|det A| from the singular values is what the probe must reproduce; compute it by LU here.
    const m = a.map((r) => [...r]);
    for (let k = 0; k < d; k++) {
      let p = k;
      for (let i = k + 1; i < d; i++) if (Math.abs(m[i]![k]!) > Math.abs(m[p]![k]!)) p = i;
      [m[k], m[p]] = [m[p]!, m[k]!];
      logDet += Math.log(Math.abs(m[k]![k]!));
      for (let i = k + 1; i < d; i++) {
        const f = m[i]![k]! / m[k]![k]!;
        for (let j = k; j < d; j++) m[i]![j] = m[i]![j]! - f * m[k]![j]!;
      }
    }
  }
  return {
    name,
    inputShape: [d],
    forward: (x) => tf.matMul(x as tf.Tensor2D, at),
    inverse: (y) => tf.matMul(y as tf.Tensor2D, ainvT),
    logDet: (x) => tf.fill([x.shape[0]], logDet),
  };
}
