import * as tf from '@tensorflow/tfjs';
import { configError, type InverseReport, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, type LayerArgs, single, singleShape } from './layer-util';
import {
  type ActivationSpec,
  getLipschitzActivation,
  type LipschitzActivation,
} from './lipschitz-activations';
import {
  type BranchLinearization,
  logDetUnpivotedLU,
  type RouletteSchedule,
  sampleSeriesTerms,
  seriesLogDet,
  seriesVarianceBound,
} from './residual-log-det';
import { SeededRandom } from './seeded-random';
import { DENSE_OPERATOR, SpectralKernel } from './spectral-layer';
import {
  INVERTIBLE_RESIDUAL_DEFAULTS as DEFAULTS,
  invertibleResidualError,
  invertibleResidualFromWeights,
  type LogDetMode,
  type ProbeDistribution,
  residualBranchLipschitz,
} from '../specs/invertible-residual';
export type { LogDetMode, ProbeDistribution } from '../specs/invertible-residual';
/** 'auto' builds the exact Jacobian up to this width (a d x d LU per sample, d sequential steps, is cheap there). */
export const EXACT_LOG_DET_MAX_DIM = 16;

export interface InvertibleResidualArgs extends LayerArgs {
  /** Widths of g's hidden layers; g maps d -> hiddenUnits... -> d. */
  hiddenUnits: number[];
  /** Spectral bound c per dense map, in (0, 1) so that Lip(g) < 1 and F is invertible (default 0.9). */
  coeff?: number;
  activation?: LipschitzActivation;
  /**
   * Fixed-point iteration stops when max |x_k - x_{k-1}| <= tol * max(1, max |y|) (default 1e-6). Relative to
   * y because float32 spacing grows with |y|: an absolute 1e-6 is out of reach beyond |y| ~ 8.
   */
  inverseTolerance?: number;
  maxInverseIterations?: number;
  /**
   * How logDetJacobian() computes log det(I + J_g) (all three train by maximum likelihood with first-order
   * gradients; see the class comment for cost and error): 'exact', 'series' (unbiased Residual Flows estimator),
   * or 'auto' (default): exact when d <= 16, else series.
   */
  logDet?: LogDetMode;
  /** Series: terms always computed, m (default 10); the Russian roulette adds Geometric(rho = c^n a^(n-1)) more. */
  seriesTerms?: number;
  /**
   * Series: Hutchinson probes per example, averaged (default 1); the variance falls as 1 / samples. With 2+,
   * each call also measures the variance (one read back to the CPU) for lastLogDetReport().
   */
  hutchinsonSamples?: number;
  probeDistribution?: ProbeDistribution;
  powerIterations?: number;
  initialPowerIterations?: number;
  /** Seeds kernel initialization and the probe-vector stream. */
  seed?: number;
}

interface GWeights {
  dense: SpectralKernel<tf.Tensor2D, tf.Tensor1D>;
  bias: tf.LayerVariable;
}

function maxAbs(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);
}

/** Safety ceiling of the fixed-point loop, whatever the contraction (L = 1 - 1e-5 at tol 1e-6 needs ~1.4e6). */
const MAX_FIXED_POINT_ITERATIONS = 1_000_000;

/** InverseReport of the fixed-point inverse, with the cap it ran under and the Lip(g) bound that set it. */
export interface FixedPointReport extends InverseReport {
  /** Iteration cap of the run: from the certified contraction, or maxInverseIterations without one. */
  cap: number;
  /** Certified Lip(g) bound (>= 1: no certificate, the cap is maxInverseIterations). */
  contraction: number;
  /** The stopping tolerance of the run: inverseTolerance * max(1, max |y|). */
  tolerance: number;
}

/**
 * Iterations of x <- y - g(x) that reach |x_k - x_{k-1}| <= tol, given Lip(g) <= L < 1 (certified) and the first
 * step's size r1 = ||x_1 - x_0||_2 (per sample, max over the batch): the steps shrink at least geometrically,
 * ||x_k - x_{k-1}|| <= L^(k-1) r1, and the max-abs residual is at most that 2-norm, so k = 1 + ceil(log(tol / r1)
 * / log L) suffice in exact arithmetic; 10% + 10 more cover float32 rounding near the tolerance. Without a
 * certified L < 1 there is no such k: the configured cap stays.
 */
export function fixedPointIterationCap(
  L: number,
  tolerance: number,
  firstStep: number,
  fallback: number,
): number {
  if (!(L >= 0 && L < 1)) return fallback;
  if (!(firstStep > tolerance)) return 1;
  if (L === 0) return 2;
  const k = 1 + Math.ceil(Math.log(tolerance / firstStep) / Math.log(L));
  return Math.min(MAX_FIXED_POINT_ITERATIONS, Math.ceil(k * 1.1) + 10);
}

/** What the last logDetJacobian() computed: exact, or the series with its roulette draw and variance. */
export type LogDetReport =
  | {
      mode: 'exact';
    }
  | {
      mode: 'series';
      /** m, the terms always taken. */
      exactTerms: number;
      /** rho: P(K >= m + j) = rho^j; the design L = c^n a^(n-1) (the variance is finite while L^2 < rho). */
      continueProbability: number;
      /** m + rho / (1 - rho). */
      expectedTerms: number;
      /** K drawn for each Hutchinson probe. */
      terms: number[];
      samples: number;
      /** Certified Lip(g) of the current weights, the L of the bound. */
      lipschitz: number;
      /** Proven: variance of each example's estimate <= this (seriesVarianceBound; Infinity if L^2 >= rho). */
      varianceBound: number;
      /**
       * Measured (2+ probes only): the batch mean of the sample variance of the probes' estimates, divided by
       * the number of probes (the variance of their mean); undefined with one probe.
       */
      sampleVariance: number | undefined;
    };

/**
 * i-ResNet block (Behrmann et al. 2019): F(x) = x + g(x) on [batch, d], with g = SN-dense -> act -> ... ->
 * SN-dense. Each kernel has spectral norm <= c < 1 and activations are 1-Lipschitz, so Lip(g) < 1 and F is
 * invertible by the Banach fixed point x = y - g(x). The weights of g belong to this layer (no nested tfjs
 * layers), so the saved topology is one flat layer.
 *
 * log det(I + J_g(x)) (logDetJacobian), both modes differentiable with first-order gradients (the activations'
 * derivatives are written from ops with correct first-order gradients, so maximum likelihood trains for every
 * activation; tested on wasm and cpu):
 * - 'exact': J_g in closed form, J_g^T = W_1 D_1 W_2 ... W_n (D_i = diag act'(pre-activation i)), then log det
 *   by LU without pivoting in float32 (logDetUnpivotedLU: it exists with positive pivots because ||J_g|| < 1).
 *   Cost per example O(d^2 * widths) for J_g plus d^3 / 3 for the LU, in d sequential steps. Error: float32
 *   rounding only; against a float64 LU of a central-difference Jacobian, at most 8e-7 over every activation
 *   at d = 2, 5, 16, and its gradient within 1.2e-6 of central differences (residual-log-det.test.ts).
 * - 'series': Residual Flows (Chen et al. 2019): sum_k (-1)^(k+1) tr(J^k) / k with Hutchinson traces v^T J^k v,
 *   terms 1..m always and each further term with probability rho = c^n a^(n-1), the design bound of Lip(g)
 *   (Russian roulette, reweighted by 1 / P(K >= k)), so the value has no truncation bias; the gradient is the
 *   Neumann series of tr((I + J)^-1 dJ) with the same draw, unbiased too. Cost per example and probe:
 *   m + rho / (1 - rho) vector-Jacobian products (about 14 at c = 0.9, one hidden layer) plus one
 *   differentiated Jacobian-vector product. Variance: the proven bound seriesVarianceBound (worst case over
 *   ||J|| <= the certified Lip(g)), reported by lastLogDetReport() with the measured variance when
 *   hutchinsonSamples >= 2; it falls as 1 / hutchinsonSamples.
 */
export class InvertibleResidual extends tf.layers.Layer implements Invertible {
  static readonly className = 'InvertibleResidual';
  readonly hiddenUnits: number[];
  readonly coeff: number;
  readonly activationName: LipschitzActivation;
  readonly inverseTolerance: number;
  readonly maxInverseIterations: number;
  readonly logDetMode: LogDetMode;
  readonly seriesTerms: number;
  readonly hutchinsonSamples: number;
  readonly probeDistribution: ProbeDistribution;
  readonly powerIterations: number;
  readonly initialPowerIterations: number;
  readonly seed: number | undefined;
  private readonly act: ActivationSpec;
  private readonly rng: SeededRandom;
  private g: GWeights[] = [];
  private dim = 0;
  private report: FixedPointReport | null = null;
  private logDetDraw:
    { mode: 'exact' } | { mode: 'series'; terms: number[]; sampleVariance?: number } | null = null;

  constructor(args: InvertibleResidualArgs) {
    super(args);
    const options = {
      hiddenUnits: args.hiddenUnits,
      coeff: args.coeff ?? DEFAULTS.coeff,
      activation: args.activation ?? DEFAULTS.activation,
      inverseTolerance: args.inverseTolerance ?? DEFAULTS.inverseTolerance,
      maxInverseIterations: args.maxInverseIterations ?? DEFAULTS.maxInverseIterations,
      logDet: args.logDet ?? DEFAULTS.logDet,
      seriesTerms: args.seriesTerms ?? DEFAULTS.seriesTerms,
      hutchinsonSamples: args.hutchinsonSamples ?? DEFAULTS.hutchinsonSamples,
      probeDistribution: args.probeDistribution ?? DEFAULTS.probeDistribution,
    };
    const error = invertibleResidualError(
      options,
      (activation) => getLipschitzActivation(this.name, activation as LipschitzActivation).lipschitz,
    );
    if (error !== undefined) configError(this.name, error);
    this.hiddenUnits = [...args.hiddenUnits];
    this.coeff = options.coeff;
    this.activationName = options.activation as LipschitzActivation;
    this.act = getLipschitzActivation(this.name, this.activationName);
    this.inverseTolerance = options.inverseTolerance;
    this.maxInverseIterations = options.maxInverseIterations;
    this.logDetMode = options.logDet;
    this.seriesTerms = options.seriesTerms;
    this.hutchinsonSamples = options.hutchinsonSamples;
    this.probeDistribution = options.probeDistribution;
    this.powerIterations = args.powerIterations ?? DEFAULTS.powerIterations;
    this.initialPowerIterations = args.initialPowerIterations ?? DEFAULTS.initialPowerIterations;
    this.seed = args.seed;
    this.rng = new SeededRandom(this.seed ?? 0x5eed);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const d = shape[1];
    if (shape.length !== 2 || d == null) {
      configError(this.name, `expects rank-2 inputs [batch, d] with known d, got [${shape}]`);
    }
    this.dim = d;
    const widths = [d, ...this.hiddenUnits, d];
    this.g = widths.slice(1).map((out, i) => {
      const seed = this.seed === undefined ? undefined : this.seed + i;
      const init = tf.initializers.glorotUniform({ seed });
      // Created in this order (kernel, bias, u) because saved weights keep it.
      const kernel = this.addWeight(`kernel_${i}`, [widths[i]!, out], 'float32', init, undefined, true);
      const bias = this.addWeight(`bias_${i}`, [out], 'float32', tf.initializers.zeros(), undefined, true);
      const u = this.addWeight(
        `u_${i}`,
        [out],
        'float32',
        tf.initializers.randomNormal({ seed }),
        undefined,
        false,
      );
      return { dense: new SpectralKernel(kernel, u, DENSE_OPERATOR), bias };
    });
    this.inputSpec = [new tf.InputSpec({ ndim: 2, axes: { 1: d } })];
    for (const w of this.g) w.dense.warmUp(this.initialPowerIterations);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor2D;
      const training = kwargs?.['training'] === true;
      const kernels = this.normalizedKernels(training ? this.powerIterations : 0, training);
      return tf.add(x, this.residual(x, kernels));
    });
  }

  /**
   * Solves x + g(x) = y by x <- y - g(x) from x = y; contraction Lip(g) <= L < 1 makes the error shrink
   * geometrically. Stops once max |x_k - x_{k-1}| <= inverseTolerance * max(1, max |y|). The iteration cap follows
   * from the certified L (a product of certified spectral-norm bounds) and the tolerance, see
   * fixedPointIterationCap; maxInverseIterations applies only when L < 1 is not certified. A run that stops at
   * the cap says so in lastInverseReport() (converged: false, with the cap and L).
   */
  inverse(y: tf.Tensor): tf.Tensor {
    const target = this.checkInput('inverse', y);
    const tolerance = this.inverseTolerance * Math.max(1, maxAbs(target));
    const kernels = tf.tidy(() => this.normalizedKernels(0, false));
    const contraction = this.lipschitzOfResidual();
    let x = target.clone();
    let residual = Infinity;
    let iterations = 0;
    let cap = this.maxInverseIterations;
    while (iterations < cap && !(residual <= tolerance)) {
      const next = tf.tidy(() => tf.sub(target, this.residual(x, kernels)) as tf.Tensor2D);
      residual = tf.tidy(() => maxAbs(tf.sub(next, x)));
      if (iterations === 0) {
        const firstStep = tf.tidy(() => tf.max(tf.norm(tf.sub(next, x), 'euclidean', 1)).dataSync()[0]!);
        cap = fixedPointIterationCap(contraction, tolerance, firstStep, this.maxInverseIterations);
      }
      x.dispose();
      x = next;
      iterations++;
    }
    tf.dispose(kernels);
    this.report = { iterations, residual, converged: residual <= tolerance, cap, contraction, tolerance };
    return x;
  }

  /** The last inverse() run: iterations, residual, converged, and the iteration cap and certified Lip(g) used. */
  lastInverseReport(): FixedPointReport {
    if (this.report === null) configError(this.name, 'lastInverseReport() called before any inverse()');
    return { ...this.report };
  }

  /**
   * log det(I + J_g(x)) per example (positive determinant: Lip(g) < 1): exact by an unpivoted LU, or the unbiased
   * series estimate (stochastic); both differentiable. See the class comment for cost and error.
   */
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    const input = this.checkInput('logDetJacobian', x);
    const mode =
      this.logDetMode === 'auto' ? (this.dim <= EXACT_LOG_DET_MAX_DIM ? 'exact' : 'series') : this.logDetMode;
    return mode === 'exact' ? this.exactLogDet(input) : this.seriesLogDet(input);
  }

  /** The roulette of the series mode: m = seriesTerms, rho = the design L = c^n a^(n-1). */
  seriesSchedule(): RouletteSchedule {
    const depth = this.hiddenUnits.length + 1;
    return {
      exactTerms: this.seriesTerms,
      continueProbability: residualBranchLipschitz(Array<number>(depth).fill(this.coeff), this.act.lipschitz),
    };
  }

  /** The last logDetJacobian(): its mode and, for the series, the draw and its variance (bound and measured). */
  lastLogDetReport(): LogDetReport {
    const draw = this.logDetDraw;
    if (draw === null) configError(this.name, 'lastLogDetReport() called before any logDetJacobian()');
    if (draw.mode === 'exact') return { mode: 'exact' };
    const schedule = this.seriesSchedule();
    const lipschitz = this.lipschitzOfResidual();
    const rho = schedule.continueProbability;
    return {
      mode: 'series',
      exactTerms: schedule.exactTerms,
      continueProbability: rho,
      expectedTerms: schedule.exactTerms + rho / (1 - rho),
      terms: [...draw.terms],
      samples: draw.terms.length,
      lipschitz,
      varianceBound: seriesVarianceBound({ dim: this.dim, lipschitz, schedule, samples: draw.terms.length }),
      sampleVariance: draw.sampleVariance,
    };
  }

  /**
   * forward 1 + L and inverse 1 / (1 - L), with L the product of the converged spectral norms of the normalized
   * kernels (<= c^n up to power-iteration error) times the activation constants.
   */
  lipschitzBounds(): { forward: number; inverse: number } {
    return invertibleResidualFromWeights(this.kernelNorms(), this.act.lipschitz);
  }

  /** Lip(g) bound from the current weights. */
  lipschitzOfResidual(iterations = 50): number {
    return residualBranchLipschitz(this.kernelNorms(iterations), this.act.lipschitz);
  }

  /** The operator norm of each normalized kernel of g. */
  kernelNorms(iterations = 50): number[] {
    return this.g.map((w) => w.dense.operatorNorm(this.coeff, iterations, this.seed));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      hiddenUnits: [...this.hiddenUnits],
      coeff: this.coeff,
      activation: this.activationName,
      inverseTolerance: this.inverseTolerance,
      maxInverseIterations: this.maxInverseIterations,
      logDet: this.logDetMode,
      seriesTerms: this.seriesTerms,
      hutchinsonSamples: this.hutchinsonSamples,
      probeDistribution: this.probeDistribution,
      powerIterations: this.powerIterations,
      initialPowerIterations: this.initialPowerIterations,
    };
    if (this.seed !== undefined) config['seed'] = this.seed;
    return { ...super.getConfig(), ...config };
  }

  // ---- internals ----

  private checkInput(method: string, t: tf.Tensor): tf.Tensor2D {
    if (!this.built) configError(this.name, `${method}() called before the layer was built`);
    if (t.rank !== 2 || t.shape[1] !== this.dim) {
      configError(this.name, `${method}() expects shape [batch, ${this.dim}], got [${t.shape}]`);
    }
    return t as tf.Tensor2D;
  }

  /** Normalized kernels; with `update`, the refreshed power-iteration vectors are written back. */
  private normalizedKernels(iterations: number, update: boolean): tf.Tensor2D[] {
    return this.g.map((w) => w.dense.normalized(this.coeff, iterations, update));
  }

  /** g(x) = W_n act(... act(x W_1 + b_1) ...) + b_n. */
  private residual(x: tf.Tensor2D, kernels: tf.Tensor2D[]): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    kernels.forEach((k, i) => {
      h = tf.add(tf.matMul(h, k), this.g[i]!.bias.read());
      if (i < kernels.length - 1) h = this.act.apply(h) as tf.Tensor2D;
    });
    return h;
  }

  /**
   * g's pre-activation slopes at x (D_i = diag act'(pre-activation i)) and the products with J_g they give, from
   * first-order ops: J_g v = ((v W_1) D_1 W_2 ...) W_n and w^T J_g = ((w W_n^T) D_(n-1) ...) W_1^T, row by row.
   */
  private linearize(x: tf.Tensor2D, kernels: tf.Tensor2D[]): BranchLinearization & { slopes: tf.Tensor2D[] } {
    const slopes: tf.Tensor2D[] = [];
    let h: tf.Tensor2D = x;
    for (let i = 0; i + 1 < kernels.length; i++) {
      const pre = tf.add(tf.matMul(h, kernels[i]!), this.g[i]!.bias.read()) as tf.Tensor2D;
      slopes.push(this.act.derivative(pre) as tf.Tensor2D);
      h = this.act.apply(pre) as tf.Tensor2D;
    }
    return {
      slopes,
      jvp: (v) => {
        let t = v;
        kernels.forEach((k, i) => {
          t = tf.matMul(t, k);
          if (i < slopes.length) t = tf.mul(t, slopes[i]!);
        });
        return t;
      },
      vjp: (w) => {
        let t = w;
        for (let i = kernels.length - 1; i >= 0; i--) {
          t = tf.matMul(t, kernels[i]!, false, true);
          if (i > 0) t = tf.mul(t, slopes[i - 1]!);
        }
        return t;
      },
    };
  }

  /**
   * J_g^T = W_1 D_1 W_2 D_2 ... W_n (row-vector convention); det(I + J^T) = det(I + J). Built batched, then
   * log det(I + J^T) by the unpivoted LU, all in float32 tensor ops (differentiable).
   */
  private exactLogDet(x: tf.Tensor2D): tf.Tensor1D {
    const batch = x.shape[0];
    const d = this.dim;
    this.logDetDraw = { mode: 'exact' };
    return tf.tidy(() => {
      const kernels = this.normalizedKernels(0, false);
      const { slopes } = this.linearize(x, kernels);
      let m = tf.tile(tf.expandDims(kernels[0]!, 0), [batch, 1, 1]) as tf.Tensor3D; // [batch, d, width]
      slopes.forEach((slope, i) => {
        m = tf.mul(m, tf.expandDims(slope, 1));
        const width = m.shape[2];
        m = tf.matMul(m.reshape([batch * d, width]), kernels[i + 1]!).reshape([batch, d, -1]) as tf.Tensor3D;
      });
      return logDetUnpivotedLU(tf.add(m, tf.eye(d)) as tf.Tensor3D);
    });
  }

  /** The Residual Flows estimate (residual-log-det.ts), with the probes and roulette draws from this layer's seed. */
  private seriesLogDet(x: tf.Tensor2D): tf.Tensor1D {
    const batch = x.shape[0];
    const d = this.dim;
    const s = this.hutchinsonSamples;
    const probes = new Float32Array(s * batch * d);
    for (let i = 0; i < probes.length; i++) {
      probes[i] =
        this.probeDistribution === 'gaussian' ? this.rng.normal() : this.rng.uniform() < 0.5 ? -1 : 1;
    }
    const schedule = this.seriesSchedule();
    const terms = Array.from({ length: s }, () => sampleSeriesTerms(schedule, this.rng));
    const { logDet, sampleVariance } = tf.tidy(() => {
      const kernels = this.normalizedKernels(0, false);
      const v = tf.tensor2d(probes, [s * batch, d]);
      const est = seriesLogDet(x, (z) => this.linearize(z, kernels), v, terms, schedule);
      // Variance of the mean of s probes: the unbiased sample variance / s, averaged over the batch.
      const variance =
        s < 2 ? undefined : tf.mean(tf.div(tf.moments(est.perProbe, 0).variance, s - 1)).dataSync()[0]!;
      return { logDet: est.logDet, sampleVariance: variance };
    });
    this.logDetDraw = { mode: 'series', terms, ...(sampleVariance === undefined ? {} : { sampleVariance }) };
    return logDet;
  }
}
tf.serialization.registerClass(InvertibleResidual, PACKAGE);
