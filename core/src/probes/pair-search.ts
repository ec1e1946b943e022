/**
 * Searches for input pairs with a large |F(x) - F(y)| / |x - y|: a check on the Jacobian estimates that
 * needs no differentiability, and the only one that sees jumps between points. Gradient ascent on the log
 * ratio, from nearby pairs (local) and pairs of data points (global).
 */
import { quantile } from './measure';
import {
  stopReason,
  type FlatMaps,
  type ProbeContext,
  type Tensor,
  type Tensor2D,
  yieldToEventLoop,
} from './target';

export interface PairSearchResult {
  /** Best ratio per pair, over all steps. */
  ratios: number[];
  max: number;
  quantiles: { q: number; value: number }[];
  steps: number;
}

export async function pairSearch(
  ctx: ProbeContext,
  maps: FlatMaps,
  x: Tensor2D,
  steps: number,
): Promise<PairSearchResult> {
  const { tf, rng } = ctx;
  const [n, d] = x.shape;
  // Local pairs at 1% of the data scale, and each point paired with the next one.
  const scale = Math.max(1e-3, (await tf.tidy(() => tf.sqrt(tf.mean(tf.square(x)))).data())[0] ?? 1);
  // With a single point there is no second point to pair it with.
  const global = n > 1;
  let a = (global ? tf.concat([x, x]) : tf.clone(x)) as Tensor2D;
  let b = tf.tidy(() => {
    const local = tf.add(x, tf.mul(tf.tensor2d(rng.normals(n * d), [n, d]), 0.01 * scale));
    if (!global) return local;
    return tf.concat([local, tf.concat([x.slice([1, 0], [n - 1, d]), x.slice([0, 0], [1, d])])]);
  }) as Tensor2D;
  const logRatio = (p: Tensor, q: Tensor): Tensor => {
    // Both ends of every pair in one call (rows are independent): one pass's kernel dispatch instead of two.
    const [fp, fq] = tf.split(maps.forward(tf.concat([p, q]) as Tensor2D), 2);
    const num = tf.sum(tf.square(tf.sub(fp!, fq!)), 1);
    const den = tf.maximum(tf.sum(tf.square(tf.sub(p, q)), 1), 1e-20);
    return tf.mul(0.5, tf.sub(tf.log(num), tf.log(den)));
  };
  const best = new Array<number>(a.shape[0]).fill(-Infinity);
  const record = (lr: Tensor): void => {
    Array.from(lr.dataSync()).forEach((v, i) => {
      const ratio = Math.exp(v);
      // NaN ratios are kept: a NaN output is itself a finding the caller reports.
      if (Number.isNaN(ratio) || ratio > best[i]!) best[i] = ratio;
    });
  };
  // The gradient pass computes the ratios at (a, b) on its way: they are kept out of its scope and recorded,
  // so each step costs one gradient and no separate evaluation (two forward passes fewer per step).
  let rows: Tensor | undefined;
  const grads = tf.grads((p: Tensor, q: Tensor) => {
    const lr = logRatio(p, q);
    rows = tf.keep(tf.clone(lr));
    return tf.sum(lr);
  });
  let done = 0;
  for (let step = 0; step <= steps; step++) {
    if (step === steps || stopReason(ctx) !== undefined) {
      // The last pair, which no gradient pass measured.
      const lr = tf.tidy(() => logRatio(a, b));
      record(lr);
      lr.dispose();
      break;
    }
    const [na, nb] = tf.tidy(() => {
      ctx.passes.backward++;
      const [ga, gb] = grads([a, b]);
      // Normalised steps (per row) of a shrinking size: robust to the ratio's scale.
      const size = (0.05 * scale) / Math.sqrt(1 + step);
      const step1 = (g: Tensor): Tensor =>
        tf.mul(tf.div(g!, tf.maximum(tf.sqrt(tf.sum(tf.square(g!), 1, true)), 1e-20)), size);
      return [tf.add(a, step1(ga!)), tf.add(b, step1(gb!))];
    });
    record(rows!);
    tf.dispose(rows!);
    rows = undefined;
    a.dispose();
    b.dispose();
    a = na as Tensor2D;
    b = nb as Tensor2D;
    done = step + 1;
    ctx.progress((step + 1) / steps);
    await yieldToEventLoop();
  }
  a.dispose();
  b.dispose();
  const finite = best.filter((v) => Number.isFinite(v));
  return {
    ratios: best,
    max: best.some(Number.isNaN) ? NaN : Math.max(...finite),
    quantiles: [0.5, 0.9, 0.99, 1].map((q) => ({ q, value: quantile(best, q) })),
    steps: done,
  };
}
