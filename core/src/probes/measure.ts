/** Helpers shared by the probes: spectral estimates at points, block inputs, and error norms. */
import { jacobianAt } from './jacobian';
import type { ProbeSettings } from './probe';
import { largestSingularValues, type SpectralEstimate } from './spectral';
import {
  stopReason,
  type ProbeContext,
  type ProbeTarget,
  type Tensor,
  type Tensor2D,
  type Tf,
} from './target';

/** sigma_max (and with `needMin` sigma_min) of f's Jacobian at each row of x. */
export function sigmaAt(
  ctx: ProbeContext,
  f: (x: Tensor2D) => Tensor2D,
  x: Tensor2D,
  dOut: number,
  settings: ProbeSettings,
  needMin = false,
): Promise<SpectralEstimate> {
  const { tf } = ctx;
  const jac = jacobianAt(tf, f, x, dOut, ctx.passes, { fdStep: settings.fdStep });
  const options = {
    method: needMin ? 'lanczos' : settings.method,
    maxIter: needMin ? Math.max(settings.maxIter, 2 * settings.maxIter) : settings.maxIter,
    tol: settings.tol,
    needMin,
    shouldStop: () => stopReason(ctx) !== undefined,
  } as const;
  return largestSingularValues(tf, jac, ctx.rng, options);
}

/**
 * Per-block spectral estimates only rank the blocks and name the culprit: a 1% error bar does that. On
 * examples/glow.ts (cpu, 16 points) the blocks' forward passes fell from 193 to 118 against the model's 0.1%.
 */
export const BLOCK_TOLERANCE = 1e-2;

export function blockSettings(settings: ProbeSettings): ProbeSettings {
  return { ...settings, tol: Math.max(settings.tol, BLOCK_TOLERANCE) };
}

/** The input of every block (the data for block 0), each [n, ...shape]; the caller disposes them. */
export function blockInputs(tf: Tf, target: ProbeTarget, data: Tensor): Tensor[] {
  const inputs: Tensor[] = [tf.clone(data)];
  for (const block of target.blocks ?? []) {
    const x = inputs[inputs.length - 1]!;
    inputs.push(tf.tidy(() => block.forward(x)));
  }
  return inputs;
}

/** Per-row relative error |a - b| / max(|b|, floor), NaN where either is non-finite. */
export function relativeRowError(tf: Tf, a: Tensor2D, b: Tensor2D, floor = 1e-6): number[] {
  const err = tf.tidy(() => {
    const diff = tf.sqrt(tf.sum(tf.square(tf.sub(a, b)), 1));
    const ref = tf.maximum(tf.sqrt(tf.sum(tf.square(b), 1)), floor);
    return tf.div(diff, ref);
  });
  const out = Array.from(err.dataSync());
  err.dispose();
  // A row with Inf in it gives Inf - Inf = NaN above; either way it is a failed reconstruction.
  return out.map((v) => (Number.isFinite(v) ? v : NaN));
}

/** Flattens to [n, d] (a view-like reshape). */
export function flat(tf: Tf, x: Tensor): Tensor2D {
  return tf.reshape(x, [x.shape[0]!, -1]) as Tensor2D;
}

/** Per-row max |x|, NaN for rows with NaN, Infinity for rows with Inf. */
export function rowMaxAbs(tf: Tf, x: Tensor2D): number[] {
  const m = tf.tidy(() => tf.max(tf.abs(x), 1));
  const nan = tf.tidy(() => tf.any(tf.isNaN(x), 1));
  const mv = Array.from(m.dataSync());
  const nv = Array.from(nan.dataSync());
  m.dispose();
  nan.dispose();
  return mv.map((v, i) => (nv[i] === 1 ? NaN : v));
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function countNaN(values: readonly number[]): number {
  return values.filter((v) => !Number.isFinite(v)).length;
}

/** Quantile of finite values (linear interpolation); NaN when none are finite. */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

/** Max that lets NaN through (a NaN anywhere means the figure is NaN): probes must not hide failures. */
export function maxOrNaN(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}
