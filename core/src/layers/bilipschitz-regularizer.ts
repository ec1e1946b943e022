/**
 * Finite-difference bi-Lipschitz regulariser (Behrmann et al., AISTATS 2021, "Understanding and Mitigating
 * Exploding Inverses in Invertible Neural Networks", Sec. 5). For data x, y = F(x) and random directions v,
 * w of norm eps, it penalises
 *
 *   ||F(x + v) - F(x)||^2 / eps^2   and   ||F^-1(y + w) - F^-1(y)||^2 / eps^2,
 *
 * finite-difference estimates of ||J_F(x) u||^2 and ||J_F^-1(y) u||^2 for u uniform on the unit sphere, whose
 * expectation is ||J||_F^2 / d. Keeping both small keeps the map locally bi-Lipschitz around the data, which
 * is what memory-saving backprop (activations rebuilt by inverses) needs even where no global bound holds.
 */
import * as tf from '@tensorflow/tfjs';
import type { InvertibleLayer } from './flow';
import { isInvertible } from './invertible';
import { SeededRandom } from './seeded-random';

/** A Flow, or anything with a forward and an inverse; `blocks` (as on a Flow) enables the per-block inverse. */
export interface InvertibleMap {
  forward(x: tf.Tensor): tf.Tensor;
  inverse(y: tf.Tensor): tf.Tensor;
  readonly blocks?: readonly InvertibleLayer[];
}

/**
 * How the inverse term reaches the weights:
 * - 'auto': per block when the map has `blocks`, choosing the path each block supports (see
 *   {@link finiteDifferenceTerms}); the map's own `inverse` otherwise.
 * - 'direct': backpropagate through the map's own `inverse` only, whatever it records.
 */
export type InverseGradientMode = 'auto' | 'direct';

/** Options of {@link finiteDifferenceRegularizer}. */
export interface BiLipschitzOptions {
  /**
   * Step size. With `relativeEpsilon` (default) the step norm is epsilon * sqrt(mean_i ||x_i||^2), i.e. relative
   * to the data's RMS point norm (and, for the inverse term, to that of y = F(x)), so one setting fits data of
   * any scale; otherwise it is the absolute norm of v and w. Default 1e-2: small enough to measure the
   * Jacobian, large enough that float32 cancellation in F(x + v) - F(x) stays near 1e-5 relative.
   */
  epsilon?: number;
  /** Whether `epsilon` is relative to the data's RMS point norm. Default true. */
  relativeEpsilon?: boolean;
  /** Random directions per data point. Default 1. */
  samples?: number;
  /** Weight of the forward term. Default 1. */
  weightForward?: number;
  /** Weight of the inverse term. Default 1. */
  weightInverse?: number;
  /** Seed of the directions. Default: a fresh random seed per call. */
  seed?: number;
  /** See {@link InverseGradientMode}. Default 'auto'. */
  inverseGradient?: InverseGradientMode;
}

/** Both finite-difference terms, unweighted: means over points and directions of the squared gains. */
export interface FiniteDifferenceTerms {
  forward: tf.Scalar;
  inverse: tf.Scalar;
}

/** How one block's inverse is made differentiable in the block's weights. */
type BlockPath = 'direct' | 'implicit' | 'one-step';

const blockPaths = new WeakMap<object, BlockPath>();

function checkOptions(o: BiLipschitzOptions): Required<Omit<BiLipschitzOptions, 'seed'>> {
  const full = {
    epsilon: o.epsilon ?? 1e-2,
    relativeEpsilon: o.relativeEpsilon ?? true,
    samples: o.samples ?? 1,
    weightForward: o.weightForward ?? 1,
    weightInverse: o.weightInverse ?? 1,
    inverseGradient: o.inverseGradient ?? 'auto',
  };
  const fail = (m: string): never => {
    throw new Error(`BiLipschitzRegularizer: ${m}`);
  };
  if (!(full.epsilon > 0) || !Number.isFinite(full.epsilon))
    fail(`epsilon must be a finite number > 0, got ${full.epsilon}`);
  if (!Number.isInteger(full.samples) || full.samples < 1)
    fail(`samples must be a positive integer, got ${full.samples}`);
  for (const key of ['weightForward', 'weightInverse'] as const)
    if (!(full[key] >= 0) || !Number.isFinite(full[key]))
      fail(`${key} must be a finite number >= 0, got ${full[key]}`);
  if (full.inverseGradient !== 'auto' && full.inverseGradient !== 'direct')
    fail(`inverseGradient must be 'auto' or 'direct', got '${String(full.inverseGradient)}'`);
  return full;
}

/** fn(input) with no gradient to anything: ops inside a customGrad's forward are not taped. */
function frozen(fn: (t: tf.Tensor) => tf.Tensor, input: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const t = args[0] as tf.Tensor;
    return { value: fn(t), gradFunc: (_dy: tf.Tensor) => tf.zerosLike(t) };
  });
  return f(input);
}

function asMap(flow: InvertibleMap | InvertibleLayer): InvertibleMap {
  if (isInvertible(flow) && typeof (flow as Partial<InvertibleMap>).forward !== 'function') {
    const layer = flow;
    return { forward: (x) => layer.apply(x) as tf.Tensor, inverse: (y) => layer.inverse(y), blocks: [layer] };
  }
  return flow as InvertibleMap;
}

/**
 * Which path a block's inverse takes: 'one-step' for iterative inverses (they report convergence), 'direct'
 * when the inverse reaches every trainable weight through recorded ops (couplings, ActNorm, permutations),
 * 'implicit' when it reaches none (the LU layers compute W^-1 on the host in float64). Cached per block.
 */
function blockPath(block: InvertibleLayer, y: tf.Tensor): BlockPath {
  const cached = blockPaths.get(block);
  if (cached !== undefined) return cached;
  let path: BlockPath = 'direct';
  const vars = block.trainableWeights.map((w) => w.read() as tf.Variable);
  if (block.lastInverseReport !== undefined) path = 'one-step';
  else if (vars.length > 0) {
    try {
      const connected = tf.tidy(() => {
        const probe = tf.slice(y, 0, 1);
        const { value, grads } = tf.variableGrads(() => tf.sum(block.inverse(probe)), vars);
        value.dispose();
        const n = Object.keys(grads).length;
        tf.dispose(grads);
        return n;
      });
      if (connected === 0) path = 'implicit';
    } catch {
      // tfjs throws when no variable is connected to the result.
      path = 'implicit';
    }
  }
  blockPaths.set(block, path);
  return path;
}

/**
 * One block's inverse, differentiable in its weights: s = F^-1(y) is computed without gradient, then
 * - 'implicit': x = F^-1(2y - F(s)) (the inverse linear in y, as for LU); its value is s and its gradient
 *   -J^-1 dF/dtheta is the exact implicit-function gradient;
 * - 'one-step': x = s + y - F(s), one unrolled fixed-point step from the solution (Jacobian-free backprop):
 *   value s, gradient -dF/dtheta instead of the implicit -(I + J_g)^-1 dF/dtheta. For an i-ResNet block
 *   with Lip(g) = c < 1 the dropped factor has singular values in [1/(1+c), 1/(1-c)], so the approximation
 *   is close for small c; differentiating through the iteration itself is not possible (its iterates are
 *   disposed as it runs) and would cost one tape per iteration.
 */
function blockInverse(block: InvertibleLayer, y: tf.Tensor, path: BlockPath): tf.Tensor {
  if (path === 'direct') return block.inverse(y);
  const s = frozen((t) => block.inverse(t), y);
  const fs = block.apply(s) as tf.Tensor;
  if (path === 'implicit') return block.inverse(tf.sub(tf.mul(y, 2), fs));
  return tf.add(s, tf.sub(y, fs));
}

function differentiableInverse(map: InvertibleMap, y: tf.Tensor, mode: InverseGradientMode): tf.Tensor {
  const blocks = map.blocks;
  if (mode === 'direct' || blocks === undefined) return map.inverse(y);
  let h = y;
  for (let k = blocks.length - 1; k >= 0; k--) {
    const b = blocks[k]!;
    h = blockInverse(b, h, blockPath(b, h));
  }
  return h;
}

/** Rows of `like` (flattened per point) scaled to norm `step`, drawn uniformly on the sphere. */
function directions(like: tf.Tensor, step: tf.Scalar, rng: SeededRandom): tf.Tensor {
  const n = like.shape[0]!;
  const d = like.size / n;
  const u = tf.tensor2d(Float32Array.from(rng.normalArray(n * d)), [n, d]);
  const unit = tf.div(u, tf.norm(u, 'euclidean', 1, true));
  return tf.reshape(tf.mul(unit, step), like.shape);
}

/** sqrt(mean_i ||t_i||^2) over the points (rows) of t. */
function rmsNorm(t: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.div(tf.sum(tf.square(t)), t.shape[0]!)) as tf.Scalar;
}

/** Mean over rows of ||a_i - b_i||^2, divided by step^2. */
function meanSquaredGain(a: tf.Tensor, b: tf.Tensor, step: tf.Scalar): tf.Scalar {
  return tf.div(tf.div(tf.sum(tf.square(tf.sub(a, b))), a.shape[0]!), tf.square(step));
}

/**
 * The unweighted forward and inverse terms. The forward term backpropagates through F at x and x + v. The
 * inverse term is taken at y = F(x) held constant (data for the inverse direction) and backpropagates
 * through F^-1 at y and y + w; with `inverseGradient: 'auto'` and a map with blocks, each block's inverse
 * uses the path it supports (closed-form inverses directly, host-computed LU inverses by the exact implicit
 * gradient, iterative i-ResNet inverses by one unrolled fixed-point step; see `blockInverse`). The step
 * sizes depend on the data only, never on the weights.
 */
export function finiteDifferenceTerms(
  flow: InvertibleMap | InvertibleLayer,
  x: tf.Tensor,
  options: BiLipschitzOptions = {},
  rng?: SeededRandom,
): FiniteDifferenceTerms {
  const o = checkOptions(options);
  const random = rng ?? new SeededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const map = asMap(flow);
  return tf.tidy(() => {
    const xs = o.samples === 1 ? x : tf.concat(Array<tf.Tensor>(o.samples).fill(x), 0);
    const scaleOf = (t: tf.Tensor): tf.Scalar =>
      o.relativeEpsilon ? tf.mul(rmsNorm(t), o.epsilon) : tf.scalar(o.epsilon);
    let forward: tf.Scalar = tf.scalar(0);
    let inverse: tf.Scalar = tf.scalar(0);
    if (o.weightForward > 0) {
      const step = scaleOf(xs);
      forward = meanSquaredGain(map.forward(tf.add(xs, directions(xs, step, random))), map.forward(xs), step);
    }
    if (o.weightInverse > 0) {
      const ys = frozen((t) => map.forward(t), xs);
      const step = scaleOf(ys);
      const shifted = tf.add(ys, directions(ys, step, random));
      inverse = meanSquaredGain(
        differentiableInverse(map, shifted, o.inverseGradient),
        differentiableInverse(map, ys, o.inverseGradient),
        step,
      );
    }
    return { forward, inverse };
  });
}

/**
 * weightForward * forward term + weightInverse * inverse term (see {@link finiteDifferenceTerms}), a scalar
 * to add to the training loss inside `optimizer.minimize(() => nll + reg)`. A term whose weight is 0 is not
 * computed. With a fixed `seed` every call draws the same directions; {@link BiLipschitzRegularizer} draws
 * fresh ones per call from one seeded stream.
 */
export function finiteDifferenceRegularizer(
  flow: InvertibleMap | InvertibleLayer,
  x: tf.Tensor,
  options: BiLipschitzOptions = {},
  rng?: SeededRandom,
): tf.Scalar {
  const o = checkOptions(options);
  return tf.tidy(() => {
    const { forward, inverse } = finiteDifferenceTerms(flow, x, options, rng);
    return tf.add(tf.mul(forward, o.weightForward), tf.mul(inverse, o.weightInverse)) as tf.Scalar;
  });
}

/** The regulariser with its options held, drawing new directions on every call from one seeded stream. */
export class BiLipschitzRegularizer {
  private readonly options: BiLipschitzOptions;
  private readonly rng: SeededRandom;

  constructor(options: BiLipschitzOptions = {}) {
    checkOptions(options);
    this.options = { ...options };
    this.rng = new SeededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  /** The weighted loss, a scalar. */
  apply(flow: InvertibleMap | InvertibleLayer, x: tf.Tensor): tf.Scalar {
    return finiteDifferenceRegularizer(flow, x, this.options, this.rng);
  }

  /** The unweighted terms, e.g. for logging the measured gains. */
  terms(flow: InvertibleMap | InvertibleLayer, x: tf.Tensor): FiniteDifferenceTerms {
    return finiteDifferenceTerms(flow, x, this.options, this.rng);
  }

  /** Every option with its default filled in, plain JSON for logs. */
  getConfig(): Required<Omit<BiLipschitzOptions, 'seed'>> & { seed: number | null } {
    return { ...checkOptions(this.options), seed: this.options.seed ?? null };
  }
}
