import * as tf from '@tensorflow/tfjs';
import { logAbsDet } from '../linalg/matrix64';
import { configError, type InverseReport, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, type LayerArgs, single, singleShape } from './layer-util';
import {
  type ActivationSpec,
  getLipschitzActivation,
  type LipschitzActivation,
} from './lipschitz-activations';
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
/** 'auto' builds the exact Jacobian up to this width (d x d LU per sample is cheap there). */
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
  /** 'auto' (default): exact when d <= 16, else the power series with Hutchinson's trace estimator. */
  logDet?: LogDetMode;
  seriesTerms?: number;
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

/**
 * i-ResNet block (Behrmann et al. 2019): F(x) = x + g(x) on [batch, d], with g = SN-dense -> act -> ... ->
 * SN-dense. Each kernel has spectral norm <= c < 1 and activations are 1-Lipschitz, so Lip(g) < 1 and F is
 * invertible by the Banach fixed point x = y - g(x). The weights of g belong to this layer (no nested tfjs
 * layers), so the saved topology is one flat layer.
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

  /** log |det(I + J_g(x))| per sample: exact LU in float64, or the truncated power series (stochastic). */
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    const input = this.checkInput('logDetJacobian', x);
    const mode =
      this.logDetMode === 'auto' ? (this.dim <= EXACT_LOG_DET_MAX_DIM ? 'exact' : 'series') : this.logDetMode;
    return mode === 'exact' ? this.exactLogDet(input) : this.seriesLogDet(input);
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
   * J_g^T = W_1 D_1 W_2 D_2 ... W_n (row-vector convention, D_i = diag act'(pre-activation i)); det(I + J^T) =
   * det(I + J). Built batched in float32, then LU per sample in float64.
   */
  private exactLogDet(x: tf.Tensor2D): tf.Tensor1D {
    const batch = x.shape[0];
    const d = this.dim;
    const jt = tf.tidy(() => {
      const kernels = this.normalizedKernels(0, false);
      let h: tf.Tensor2D = x;
      let m = tf.tile(tf.expandDims(kernels[0]!, 0), [batch, 1, 1]) as tf.Tensor3D; // [batch, d, width]
      for (let i = 0; i + 1 < kernels.length; i++) {
        const pre = tf.add(tf.matMul(h, kernels[i]!), this.g[i]!.bias.read()) as tf.Tensor2D;
        m = tf.mul(m, tf.expandDims(this.act.derivative(pre), 1));
        const width = m.shape[2];
        m = tf.matMul(m.reshape([batch * d, width]), kernels[i + 1]!).reshape([batch, d, -1]) as tf.Tensor3D;
        h = this.act.apply(pre) as tf.Tensor2D;
      }
      return m;
    });
    const data = jt.dataSync();
    jt.dispose();
    const out = new Float32Array(batch);
    const a = new Float64Array(d * d);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < d * d; i++) a[i] = data[b * d * d + i]! + (i % (d + 1) === 0 ? 1 : 0);
      out[b] = logAbsDet(a, d);
    }
    return tf.tensor1d(out);
  }

  /**
   * sum_{k=1}^{n} (-1)^{k+1} / k * tr(J^k), each trace by Hutchinson: E[v^T J^k v] with v^T J^k from k repeated
   * vector-Jacobian products. All samples run as one batch (x tiled). Unbiased only up to truncation: the
   * remainder is at most d * L^(n+1) / (n+1) / (1 - L) in magnitude.
   */
  private seriesLogDet(x: tf.Tensor2D): tf.Tensor1D {
    const batch = x.shape[0];
    const d = this.dim;
    const s = this.hutchinsonSamples;
    const probes = new Float32Array(s * batch * d);
    for (let i = 0; i < probes.length; i++) {
      probes[i] =
        this.probeDistribution === 'gaussian' ? this.rng.normal() : this.rng.uniform() < 0.5 ? -1 : 1;
    }
    return tf.tidy(() => {
      const kernels = this.normalizedKernels(0, false);
      const xs = tf.tile(x, [s, 1]) as tf.Tensor2D; // row j * batch + b is sample j of element b
      const v = tf.tensor2d(probes, [s * batch, d]);
      let w: tf.Tensor2D = v;
      let total: tf.Tensor1D = tf.zeros([s * batch]);
      for (let k = 1; k <= this.seriesTerms; k++) {
        const cotangent = w;
        // Samples are independent, so the gradient of sum(g(x) * w) is w^T J_g(x) row by row.
        w = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(this.residual(z as tf.Tensor2D, kernels), cotangent)))(
          xs,
        ) as tf.Tensor2D;
        const sign = k % 2 === 1 ? 1 : -1;
        total = tf.add(total, tf.mul(tf.sum(tf.mul(w, v), 1), sign / k));
      }
      return tf.mean(total.reshape([s, batch]), 0) as tf.Tensor1D;
    });
  }
}
tf.serialization.registerClass(InvertibleResidual, PACKAGE);
