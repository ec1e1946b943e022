import * as tf from '@tensorflow/tfjs';
import { convOperatorBound } from '../linalg/conv-bound';
import { gramSpectralBound } from '../linalg/gram';
import { matrix } from '../linalg/matrix64';
import { configError, PACKAGE } from './invertible';
import { conv2d, conv2dTranspose } from './portable-ops';

/**
 * Spectral normalization, i-ResNet's soft form: W_sn = W * min(1, c / sigma_max(W)). Unlike Miyato et al.'s
 * W / sigma, a kernel already inside the ball is left alone, so the constraint only bites when needed.
 * sigma_max is estimated by power iteration from a persisted vector, so one iteration per training step keeps
 * the estimate warm (the iterate is a lower bound that converges to sigma_max). By default ('certified') the
 * divisor is a certified upper bound instead, with the gradient still taken through the power estimate.
 */

const EPS = 1e-12;

/**
 * 'certified' divides by a certified upper bound of the operator norm (Gram iteration in float64, see
 * linalg/gram.ts and linalg/conv-bound.ts), so the normalized operator has norm <= c by construction; 'power'
 * divides by the power-iteration estimate, a lower bound that can leave the norm above c until it converges.
 */
export type SpectralNormMode = 'certified' | 'power';

/** Which kind of number a spectral norm is: a certified upper bound, or an estimate (power iteration). */
export interface SpectralCertificate {
  /** The operator norm (bound or estimate) of the normalized kernel, before the activation. */
  sigma: number;
  kind: 'certified' | 'estimated';
}

const U32 = 2 ** -24;

function frobenius(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! ** 2;
  return Math.sqrt(s);
}

/**
 * The divisor that makes the float32 result certified: the bound inflated by the rounding of K * scale to
 * float32 (|E| <= u |K s| entrywise, so ||E||_2 <= u ||K s||_F, times sqrt(kh kw) for a convolution) and of the
 * float32 scale and sigma themselves. `frob` is ||K||_F, `taps` is kh kw (1 for dense).
 */
function inflate(bound: number, frob: number, taps: number): number {
  if (bound === 0) return 0;
  return bound * (1 + U32 * (8 + (Math.sqrt(taps) * frob) / bound));
}

/**
 * Certified bounds by the identity of a tensor's data: a tfjs tensor's data never changes in place (a
 * variable's assign() swaps in a new dataId), so a layer's inference calls reuse the bound of an unchanged kernel
 * instead of certifying it again. Keyed also by what was certified (dense, or conv with its geometry).
 */
const certifiedCache = new WeakMap<object, Map<string, number>>();

function cachedBound(kernel: tf.Tensor, key: string, compute: () => number): number {
  const dataId = (kernel as unknown as { dataId: object }).dataId;
  let entry = certifiedCache.get(dataId);
  const hit = entry?.get(key);
  if (hit !== undefined) return hit;
  const bound = compute();
  if (entry === undefined) certifiedCache.set(dataId, (entry = new Map()));
  entry.set(key, bound);
  return bound;
}

/** Certified upper bound of sigma_max of a dense kernel [in, out] (float32 values, exact in float64). */
export function certifiedDenseNorm(kernel: tf.Tensor2D): number {
  const [rows, cols] = kernel.shape;
  return cachedBound(kernel, `dense ${rows}x${cols}`, () => {
    return gramSpectralBound(matrix(rows, cols, kernel.dataSync())).bound;
  });
}

/**
 * A certified divisor for a dense kernel: K * min(1, c / divisor) has spectral norm <= c after float32 rounding
 * (the certified bound inflated as in normalizeDenseKernel).
 */
export function certifiedDenseDivisor(kernel: tf.Tensor2D): number {
  return inflate(certifiedDenseNorm(kernel), frobenius(kernel.dataSync()), 1);
}

/** Certified upper bound of the conv2d operator norm on the geometry's input shape, strides and padding. */
export function certifiedConvNorm(kernel: tf.Tensor4D, g: ConvGeometry): number {
  const key = `conv ${kernel.shape.join('x')} on ${g.inputShape.join('x')} s${g.strides.join('x')} ${g.padding}`;
  return cachedBound(kernel, key, () =>
    convOperatorBound(
      { shape: kernel.shape, data: kernel.dataSync() },
      { inputSize: [g.inputShape[0], g.inputShape[1]], strides: g.strides, padding: g.padding },
    ),
  );
}

/**
 * sigma for the scale c / sigma: the power estimate (differentiable in K, as in Miyato et al.) or, certified,
 * that estimate times the constant ratio (inflated bound / estimate), whose value is the inflated bound while the
 * gradient still flows through the estimate.
 */
function scaleSigma(estimate: tf.Scalar, certified: number | undefined): tf.Scalar {
  if (certified === undefined) return estimate;
  const est = estimate.dataSync()[0]!;
  if (!(est > 0)) return tf.scalar(certified);
  return tf.mul(estimate, certified / est) as tf.Scalar;
}

/** Identity with zero gradient: power-iteration vectors are constants in the backward pass (Miyato et al.). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...inputs) => ({
    value: (inputs[0] as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return op(x) as T;
}

function unit<T extends tf.Tensor>(x: T): T {
  return tf.div(x, tf.add(tf.norm(x), EPS));
}

/** A random unit vector of the given shape (the starting point of power iteration). */
export function randomUnit(shape: number[], seed?: number): tf.Tensor {
  return tf.tidy(() => unit(tf.randomNormal(shape, 0, 1, 'float32', seed)));
}

// ---- dense kernels: the operator is x -> x W with W of shape [in, out] ----

/** `iterations` power-iteration steps on W^T W from the unit vector u (shape [out]); returns the new u. */
export function powerIterateDense(kernel: tf.Tensor2D, u: tf.Tensor1D, iterations: number): tf.Tensor1D {
  return tf.tidy(() => {
    let x = u;
    for (let i = 0; i < iterations; i++) {
      const v = unit(tf.matMul(kernel, x.reshape([-1, 1]))); // [in, 1]
      x = unit(tf.matMul(kernel, v, true).reshape([-1])); // [out]
    }
    return x;
  });
}

/** ||W u|| for a unit u: the Rayleigh-quotient estimate of sigma_max (exact when u is the top singular vector). */
export function denseSigma(kernel: tf.Tensor2D, u: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.norm(tf.matMul(kernel, u.reshape([-1, 1]))) as tf.Scalar);
}

export interface Normalized<K extends tf.Tensor, U extends tf.Tensor> {
  kernel: K;
  u: U;
  sigma: tf.Scalar;
}

/**
 * W * min(1, c / sigma) after `iterations` power steps from u. The gradient flows through W and sigma but not
 * through u, as in Miyato et al.
 */
export function normalizeDenseKernel(
  kernel: tf.Tensor2D,
  u: tf.Tensor1D,
  coeff: number,
  iterations: number,
  mode: SpectralNormMode = 'power',
): Normalized<tf.Tensor2D, tf.Tensor1D> {
  return tf.tidy(() => {
    const uNew = iterations > 0 ? stopGradient(powerIterateDense(kernel, u, iterations)) : u;
    const certified =
      mode === 'certified' ? inflate(certifiedDenseNorm(kernel), frobenius(kernel.dataSync()), 1) : undefined;
    const sigma = scaleSigma(tf.norm(tf.matMul(kernel, uNew.reshape([-1, 1]))) as tf.Scalar, certified);
    const scale = tf.minimum(1, tf.div(coeff, tf.add(sigma, EPS)));
    return { kernel: tf.mul(kernel, scale) as tf.Tensor2D, u: uNew, sigma };
  });
}

/** Largest singular value of a dense kernel by power iteration from a random start. */
export function denseSpectralNorm(kernel: tf.Tensor2D, iterations = 100, seed?: number): number {
  return tf.tidy(() => {
    const u = powerIterateDense(kernel, randomUnit([kernel.shape[1]], seed) as tf.Tensor1D, iterations);
    return denseSigma(kernel, u).dataSync()[0]!;
  });
}

// ---- 2-D convolutions: the operator is x -> conv2d(x, K) on a fixed input shape [h, w, cin] ----

export type ConvPadding = 'same' | 'valid';

export interface ConvGeometry {
  /** Input spatial shape and channels, [height, width, inChannels]. */
  inputShape: [number, number, number];
  strides: [number, number];
  padding: ConvPadding;
}

function convApply(kernel: tf.Tensor4D, x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  // sigma = ||conv(u, K)|| is differentiated w.r.t. K in training and the weight-gradient probes.
  return conv2d(x, kernel, g.strides, g.padding);
}

/** The adjoint of convApply: conv2dTranspose is exactly the gradient of conv2d w.r.t. its input. */
function convAdjoint(kernel: tf.Tensor4D, y: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return conv2dTranspose(y, kernel, [y.shape[0], ...g.inputShape], g.strides, g.padding);
}

/** Power iteration on A^T A for the convolution operator A; u has the input's shape [h, w, cin]. */
export function powerIterateConv(
  kernel: tf.Tensor4D,
  u: tf.Tensor3D,
  g: ConvGeometry,
  iterations: number,
): tf.Tensor3D {
  return tf.tidy(() => {
    let x = u.reshape([1, ...g.inputShape]) as tf.Tensor4D;
    for (let i = 0; i < iterations; i++) x = unit(convAdjoint(kernel, convApply(kernel, x, g), g));
    return x.reshape(g.inputShape) as tf.Tensor3D;
  });
}

/** ||A u|| for a unit u of shape [h, w, cin]. */
export function convSigma(kernel: tf.Tensor4D, u: tf.Tensor3D, g: ConvGeometry): tf.Scalar {
  return tf.tidy(
    () => tf.norm(convApply(kernel, u.reshape([1, ...g.inputShape]) as tf.Tensor4D, g)) as tf.Scalar,
  );
}

/** The convolution analogue of normalizeDenseKernel: scales K so that the operator norm is at most c. */
export function normalizeConvKernel(
  kernel: tf.Tensor4D,
  u: tf.Tensor3D,
  g: ConvGeometry,
  coeff: number,
  iterations: number,
  mode: SpectralNormMode = 'power',
): Normalized<tf.Tensor4D, tf.Tensor3D> {
  return tf.tidy(() => {
    const uNew = iterations > 0 ? stopGradient(powerIterateConv(kernel, u, g, iterations)) : u;
    const taps = kernel.shape[0] * kernel.shape[1];
    const certified =
      mode === 'certified'
        ? inflate(certifiedConvNorm(kernel, g), frobenius(kernel.dataSync()), taps)
        : undefined;
    const sigma = scaleSigma(convSigma(kernel, uNew, g), certified);
    const scale = tf.minimum(1, tf.div(coeff, tf.add(sigma, EPS)));
    return { kernel: tf.mul(kernel, scale) as tf.Tensor4D, u: uNew, sigma };
  });
}

/**
 * Operator norm of conv2d(., kernel) on inputs of shape [h, w, cin] with the given strides and padding; this
 * depends on the input size and padding, which is why the reshaped kernel's norm is not used.
 */
export function convOperatorNorm(
  kernel: tf.Tensor4D,
  inputShape: [number, number, number],
  strides: number | [number, number] = 1,
  padding: ConvPadding = 'same',
  iterations = 100,
  seed?: number,
): number {
  const g: ConvGeometry = {
    inputShape,
    strides: typeof strides === 'number' ? [strides, strides] : strides,
    padding,
  };
  return tf.tidy(() => {
    const u = powerIterateConv(kernel, randomUnit(inputShape, seed) as tf.Tensor3D, g, iterations);
    return convSigma(kernel, u, g).dataSync()[0]!;
  });
}

// ---- kernel constraint ----

type Constraint = ReturnType<typeof tf.constraints.nonNeg>;
/**
 * tfjs exports no Constraint base class, yet getConstraint() tests `instanceof Constraint` against its own bundle;
 * a built-in constraint's prototype chain is the only way to reach that exact class.
 */
const ConstraintBase = Object.getPrototypeOf(
  tf.constraints.nonNeg().constructor,
) as abstract new () => Constraint;

export interface SpectralNormConstraintArgs {
  /** Bound c on the spectral norm (default 1). */
  coeff?: number;
  /** Power-iteration steps per apply() once warm (default 1). */
  powerIterations?: number;
  /** Steps on the first apply() or when the kernel shape changes (default 30). */
  initialIterations?: number;
  /** Divide by a certified bound ('certified', default) or the power estimate ('power'). */
  norm?: SpectralNormMode;
  seed?: number;
}

/**
 * Kernel constraint W -> W * min(1, c / sigma_max(W)) for dense kernels [in, out]. The power-iteration vector
 * lives in memory across calls (a constraint has no weights). Note tfjs applies constraints in
 * LayerVariable.write() (e.g. setWeights), not in the optimizer step of fit().
 */
export class SpectralNormConstraint extends ConstraintBase {
  static readonly className = 'SpectralNormConstraint';
  readonly coeff: number;
  readonly powerIterations: number;
  readonly initialIterations: number;
  readonly norm: SpectralNormMode;
  readonly seed: number | undefined;
  private u: tf.Tensor1D | null = null;

  constructor(args: SpectralNormConstraintArgs = {}) {
    super();
    this.coeff = args.coeff ?? 1;
    this.powerIterations = args.powerIterations ?? 1;
    this.initialIterations = args.initialIterations ?? 30;
    this.norm = args.norm ?? 'certified';
    this.seed = args.seed;
    if (this.norm !== 'certified' && this.norm !== 'power') {
      configError(
        SpectralNormConstraint.className,
        `norm must be 'certified' or 'power', got '${String(this.norm)}'`,
      );
    }
    if (!(this.coeff > 0) || !Number.isFinite(this.coeff)) {
      configError(SpectralNormConstraint.className, `coeff must be a finite number > 0, got ${this.coeff}`);
    }
  }

  apply(w: tf.Tensor): tf.Tensor {
    if (w.rank !== 2) {
      configError(
        SpectralNormConstraint.className,
        `expects a dense kernel of rank 2, got shape [${w.shape}]`,
      );
    }
    const kernel = w as tf.Tensor2D;
    const cold = this.u === null || this.u.shape[0] !== kernel.shape[1];
    const start = cold ? (randomUnit([kernel.shape[1]], this.seed) as tf.Tensor1D) : this.u!;
    const out = normalizeDenseKernel(
      kernel,
      start,
      this.coeff,
      cold ? this.initialIterations : this.powerIterations,
      this.norm,
    );
    if (cold) start.dispose();
    this.u?.dispose();
    this.u = tf.keep(out.u);
    out.sigma.dispose();
    return out.kernel;
  }

  /** The current power-iteration vector (estimated top right singular vector); null before the first apply. */
  vector(): tf.Tensor1D | null {
    return this.u;
  }

  dispose(): void {
    this.u?.dispose();
    this.u = null;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      coeff: this.coeff,
      powerIterations: this.powerIterations,
      initialIterations: this.initialIterations,
      norm: this.norm,
    };
    if (this.seed !== undefined) config['seed'] = this.seed;
    return config;
  }

  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config as SpectralNormConstraintArgs);
  }
}
tf.serialization.registerClass(SpectralNormConstraint, PACKAGE);
