import * as tf from '@tensorflow/tfjs';
import { type CouplingArgs, CouplingBase } from './coupling-net';
import { configError, PACKAGE } from './invertible';
import { type Kwargs, single, sumPerExample } from './layer-util';
import { domainSupNorm, type InputDomain } from '../specs/input-domain';
import {
  AFFINE_COUPLING_DEFAULTS,
  type AffineCouplingOptions,
  affineCouplingErrors,
  affineCouplingFromWeights,
  affineCouplingOnDomain,
  type AffineScale,
  affineScaleRange,
  affineX2Gains,
} from '../specs/affine-coupling';

export type { AffineScale } from '../specs/affine-coupling';

/**
 * log s from the scale pre-activation h for a scale form, in closed form where possible (avoids log of an
 * underflow); shared with the masked autoregressive transform. The caller owns the tidy scope.
 */
export function logScaleOf(h: tf.Tensor, o: AffineCouplingOptions): tf.Tensor {
  switch (o.scale) {
    case 'exp':
      return h;
    case 'sigmoid':
      // log sigmoid(z) = -softplus(-z); tf.logSigmoid's custom gradient closes over a tensor that the
      // tidy in call() disposes, so backprop through it fails.
      return tf.neg(tf.softplus(tf.neg(tf.add(h, 2))));
    case 'bounded-tanh':
      return tf.mul(tf.tanh(h), Math.log(o.scaleBound));
    case 'sigmoid-floor':
      return tf.log(tf.add(o.scaleFloor, tf.mul(1 - o.scaleFloor, tf.sigmoid(tf.add(h, 2)))));
  }
}

/** Arguments of {@link AffineCoupling}; conditioner settings as in {@link CouplingArgs}. */
export interface AffineCouplingArgs extends CouplingArgs {
  /**
   * Scale parameterisation, s as a function of the conditioner output h:
   * - 'exp': s = exp(h), s in (0, inf). Neither direction is bounded; the inverse can explode.
   * - 'sigmoid': s = sigmoid(h + 2) (Glow), s in (0, 1). Forward gain on x2 <= 1, inverse gain unbounded
   *   as s -> 0.
   * - 'bounded-tanh': s = exp(log(M) tanh(h)), s in [1/M, M] with M = `scaleBound`.
   * - 'sigmoid-floor': s = eps + (1 - eps) sigmoid(h + 2), s in [eps, 1) with eps = `scaleFloor`.
   * Default 'bounded-tanh' (defaults: core/src/specs/affine-coupling.ts).
   */
  scale?: AffineScale;
  /** M > 1 for 'bounded-tanh'. Default 2. */
  scaleBound?: number;
  /** eps in (0, 1) for 'sigmoid-floor'. Default 0.05. */
  scaleFloor?: number;
}

/**
 * RealNVP / Glow affine coupling: y1 = x1, y2 = x2 * s(x1) + t(x1), log-det = sum log s.
 *
 * Affine couplings are not globally bi-Lipschitz (Behrmann et al. 2021): dy2/dx1 contains
 * x2 * ds/dx1, which grows without bound in x2 whenever s depends on x1, even for a bounded scale.
 * So {@link lipschitzBounds} is Infinity unless the scale branch is constant given the current weights
 * (e.g. right after Glow's zero initialisation), and {@link scaleRange} / {@link x2Gains} expose the
 * bounded-scale guarantees that do hold: the gain along x2 with x1 fixed.
 */
export class AffineCoupling extends CouplingBase {
  static className = 'AffineCoupling';
  protected readonly paramsPerChannel = 2;
  readonly scale: AffineScale;
  readonly scaleBound: number;
  readonly scaleFloor: number;

  constructor(args: AffineCouplingArgs = {}) {
    super(args);
    this.scale = args.scale ?? AFFINE_COUPLING_DEFAULTS.scale;
    this.scaleBound = args.scaleBound ?? AFFINE_COUPLING_DEFAULTS.scaleBound;
    this.scaleFloor = args.scaleFloor ?? AFFINE_COUPLING_DEFAULTS.scaleFloor;
    const [error] = affineCouplingErrors(this);
    if (error !== undefined) configError(this.name, error);
  }

  private get options(): AffineCouplingOptions {
    return { scale: this.scale, scaleBound: this.scaleBound, scaleFloor: this.scaleFloor };
  }

  /** log s from the scale pre-activation h (logScaleOf). */
  private logScale(h: tf.Tensor): tf.Tensor {
    return logScaleOf(h, this.options);
  }

  /** [log s, t] for the conditioning half. */
  private params(x1: tf.Tensor, full: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const out = this.conditioner(full).apply(x1);
    const half = x1.shape[x1.rank - 1]!;
    const [h, t] = tf.split(out, [half, half], -1);
    return [this.logScale(h!), t!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [x1, x2] = this.split(x);
      const [logS, t] = this.params(x1, x);
      return tf.concat([x1, tf.add(tf.mul(x2, tf.exp(logS)), t)], -1);
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = this.split(y);
      const [logS, t] = this.params(y1, y);
      return tf.concat([y1, tf.mul(tf.sub(y2, t), tf.exp(tf.neg(logS)))], -1);
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => {
      const [x1] = this.split(x);
      return sumPerExample(this.params(x1, x)[0]);
    });
  }

  /** The closure of the range of s for this parameterisation: [min, max]. */
  scaleRange(): [number, number] {
    return affineScaleRange(this.options);
  }

  /**
   * For fixed x1: the gain in x2, forward max s, inverse 1 / min s. These hold for any input but only for
   * perturbations of x2; they are not Lipschitz constants of the whole map.
   */
  x2Gains(): { forward: number; inverse: number } {
    return affineX2Gains(this.options);
  }

  /**
   * Global bounds: Infinity while s depends on x1 (see the class comment) or before the layer is built; finite
   * only while the scale branch is constant (formula: core/src/specs/affine-coupling.ts).
   */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.net === null) return { forward: Infinity, inverse: Infinity };
    const half =
      (this.net.kernels[this.net.kernels.length - 1]!.shape[this.net.rank === 2 ? 1 : 3] as number) / 2;
    return affineCouplingFromWeights(
      this.options,
      this.net.lipschitz(0, half),
      this.net.lipschitz(half, 2 * half),
    );
  }

  /**
   * Bounds for every pair of this layer's inputs inside `domain`, from the current weights (formula:
   * affineCouplingOnDomain in core/src/specs/affine-coupling.ts). The conditioner's scale output h stays within
   * Lip(h) r of its value at the domain's centre, r the largest distance of x1 from the centre, which bounds s
   * and its slope on the domain. Infinity before the layer is built or when its spatial size is not fixed.
   */
  lipschitzBoundsOn(domain: InputDomain): { forward: number; inverse: number } {
    const shape = this.builtShape;
    if (this.net === null || shape === null || shape.slice(1).some((d) => d == null))
      return { forward: Infinity, inverse: Infinity };
    const dims = shape.slice(1) as number[];
    const half = dims[dims.length - 1]! / 2;
    const lipScale = this.net.lipschitz(0, half);
    const lipShift = this.net.lipschitz(half, 2 * half);
    const x1Shape = [1, ...dims.slice(0, -1), half];
    const count = x1Shape.reduce((a, b) => a * b, 1);
    const centre = domain.kind === 'box' ? (domain.lo + domain.hi) / 2 : 0;
    const radius = domain.kind === 'box' ? ((domain.hi - domain.lo) / 2) * Math.sqrt(count) : domain.radius;
    const h = tf.tidy(() => {
      const out = this.net!.apply(tf.fill(x1Shape, centre));
      return tf.split(out, [half, half], -1)[0]!.dataSync();
    });
    let hLo = Infinity;
    let hHi = -Infinity;
    for (const v of h) {
      hLo = Math.min(hLo, v);
      hHi = Math.max(hHi, v);
    }
    // float32 evaluation of h(centre): widen by a relative 1e-5 and an absolute 1e-6 so rounding cannot shrink it.
    const slack = 1e-5 * Math.max(Math.abs(hLo), Math.abs(hHi)) + 1e-6;
    return affineCouplingOnDomain(this.options, domainSupNorm(domain), lipScale, lipShift, [
      hLo - lipScale * radius - slack,
      hHi + lipScale * radius + slack,
    ]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      scale: this.scale,
      scaleBound: this.scaleBound,
      scaleFloor: this.scaleFloor,
    };
  }
}
tf.serialization.registerClass(AffineCoupling, PACKAGE);
