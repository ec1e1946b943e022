/**
 * The monitor's cheap probes, run on a fixed probe batch at every measurement: a few power steps per block and
 * direction warm-started from the previous measurement's vectors (the weights moved a little, so the vectors are
 * still close to the top singular vectors), round trips, and the memory-saving gradient check.
 */
import { jacobianAt, DEFAULT_FD_STEP, normalizeRows, rowNorm } from '../probes/jacobian';
import { maxOrNaN, median, relativeRowError } from '../probes/measure';
import type { Rng } from '../probes/rng';
import { randomUnitRows } from '../probes/spectral';
import type { PassCount } from '../report/schema';
import type { FlatMaps, ProbeBlock, Tensor, Tensor2D, Tf } from '../probes/target';
import { finite, type LipschitzEstimate, type ScaleReconstruction } from './run-file';

/** Rounding allowed for the norm of an exact reverse product (as in probes/spectral.ts). */
const REVERSE_ROUNDING = 1e-6;

/** A block direction's power-iteration state, kept between measurements. */
export class WarmPower {
  private v: Tensor2D | undefined;
  private total = 0;

  constructor(private readonly rng: Rng) {}

  /**
   * `iterations` power steps on J^T J for f's Jacobian at the rows of x. The lower bound per point is
   * |J^T u| / |u| with u = J v: J^T u is an exact reverse product, so the finite difference behind J v cannot
   * push it above the point's largest singular value.
   */
  estimate(
    tf: Tf,
    f: (x: Tensor2D) => Tensor2D,
    x: Tensor2D,
    iterations: number,
    passes: PassCount,
  ): LipschitzEstimate {
    // A scope frees what jacobianAt keeps for its products (the per-point steps); the direction is kept.
    tf.engine().startScope();
    try {
      return this.steps(tf, f, x, iterations, passes);
    } finally {
      if (this.v !== undefined) tf.keep(this.v);
      tf.engine().endScope();
    }
  }

  private steps(
    tf: Tf,
    f: (x: Tensor2D) => Tensor2D,
    x: Tensor2D,
    iterations: number,
    passes: PassCount,
  ): LipschitzEstimate {
    const [n, d] = x.shape;
    const dOut = tf.tidy(() => f(x).shape[1]);
    const jac = jacobianAt(tf, f, x, dOut, passes, { fdStep: DEFAULT_FD_STEP });
    if (this.v === undefined || this.v.shape[0] !== n || this.v.shape[1] !== d || !allFinite(tf, this.v)) {
      this.v?.dispose();
      this.v = randomUnitRows(tf, this.rng, n, d);
    }
    let bounds: number[] = [];
    let residuals: number[] = [];
    for (let it = 0; it < iterations; it++) {
      const v: Tensor2D = this.v;
      const [bound, residual, next] = tf.tidy((): [Tensor2D, Tensor2D, Tensor2D] => {
        const u = jac.jvp(v);
        const w = jac.vjp(u);
        const uNorm = rowNorm(tf, u);
        const lambda = tf.sum(tf.mul(v, w), 1, true);
        const r: Tensor2D = tf.div(rowNorm(tf, tf.sub(w, tf.mul(lambda, v))), tf.abs(lambda));
        return [tf.div(rowNorm(tf, w), tf.maximum(uNorm, 1e-30)), r, normalizeRows(tf, w)];
      });
      bounds = Array.from(bound.dataSync());
      residuals = Array.from(residual.dataSync());
      tf.dispose([bound, residual]);
      // A point whose products broke keeps its old direction rather than carrying NaN into the next step.
      const keep = tf.tidy((): Tensor2D => {
        const ok = tf.all(tf.isFinite(next), 1, true);
        return tf.where(tf.tile(ok, [1, d]), next, v) as Tensor2D;
      });
      next.dispose();
      v.dispose();
      this.v = keep;
      this.total++;
    }
    let point = -1;
    bounds.forEach((b, i) => {
      if (Number.isFinite(b) && (point < 0 || b > bounds[point]!)) point = i;
    });
    return {
      kind: 'lower-bound',
      value: point < 0 ? null : bounds[point]! * (1 - REVERSE_ROUNDING),
      point: point < 0 ? null : point,
      iterations,
      totalIterations: this.total,
      residual: point < 0 ? null : finite(residuals[point]!),
    };
  }

  dispose(): void {
    this.v?.dispose();
    this.v = undefined;
  }
}

function allFinite(tf: Tf, x: Tensor): boolean {
  return tf.tidy(() => tf.all(tf.isFinite(x)).dataSync()[0] === 1);
}

/** Rows of x ([n, d]) with a NaN or Inf entry. */
export function nonFiniteRows(tf: Tf, x: Tensor2D): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.logicalNot(tf.all(tf.isFinite(x), 1)), 'int32')).dataSync()[0]!);
}

/** Largest relative round-trip error over rows (NaN when some row broke) and the count of broken rows. */
export function roundTrip(tf: Tf, back: Tensor2D, x: Tensor2D): { max: number; broken: number } {
  const err = relativeRowError(tf, back, x);
  return { max: maxOrNaN(err), broken: err.filter((e) => !Number.isFinite(e)).length };
}

/**
 * The model's reconstruction error on x scaled by each of `scales`, all scales in one forward and one inverse
 * pass (rows are independent).
 */
export function reconstructionByScale(
  tf: Tf,
  maps: FlatMaps,
  x: Tensor2D,
  scales: readonly number[],
): ScaleReconstruction[] {
  const n = x.shape[0];
  const errors = tf.tidy(() => {
    const xs = tf.concat(scales.map((s) => tf.mul(x, s))) as Tensor2D;
    return relativeRowError(tf, maps.inverse!(maps.forward(xs)), xs);
  });
  return scales.map((scale, k) => {
    const err = errors.slice(k * n, (k + 1) * n);
    return {
      scale,
      max: finite(maxOrNaN(err)),
      median: finite(median(err)),
      nonFinite: err.filter((e) => !Number.isFinite(e)).length,
    };
  });
}

/**
 * For the blocks in `checked`: the relative error of the gradient wrt each block's input when the activations are
 * rebuilt from the model's output by the blocks' inverses (as a memory-saving backward pass does), against the
 * gradient at the stored activations, the same random output cotangent propagated down both ways. `inputs[k]`
 * is block k's stored input, inputs[blocks.length] the output. Per block: the error, NaN when not finite.
 */
export function rebuiltGradientErrors(
  tf: Tf,
  blocks: readonly ProbeBlock[],
  inputs: readonly Tensor[],
  cotangent: Tensor,
  checked: ReadonlySet<number>,
): Map<number, number> {
  const out = new Map<number, number>();
  const lowest = Math.min(...checked);
  if (!Number.isFinite(lowest)) return out;
  const vjp = (b: ProbeBlock, x: Tensor, c: Tensor): Tensor =>
    tf.grad((xx: Tensor) => tf.sum(tf.mul(b.forward(xx), c)))(x);
  tf.tidy(() => {
    let rebuilt: Tensor = inputs[blocks.length]!;
    let cotStored = cotangent;
    let cotRebuilt = cotangent;
    for (let k = blocks.length - 1; k >= lowest; k--) {
      rebuilt = blocks[k]!.inverse!(rebuilt);
      const gs = vjp(blocks[k]!, inputs[k]!, cotStored);
      const gr = vjp(blocks[k]!, rebuilt, cotRebuilt);
      if (checked.has(k)) {
        const flat = (t: Tensor): Tensor2D => tf.reshape(t, [t.shape[0]!, -1]) as Tensor2D;
        out.set(k, maxOrNaN(relativeRowError(tf, flat(gr), flat(gs))));
      }
      cotStored = gs;
      cotRebuilt = gr;
    }
  });
  return out;
}
