import * as tf from '@tensorflow/tfjs';
import { configError, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, type LayerArgs, LazyBuildLayer, single, vectorOrImageShape } from './layer-util';
import {
  ACT_NORM_DEFAULTS,
  actNormError,
  actNormFromWeights,
  type ActNormScaleParam,
} from '../specs/act-norm';

/** How ActNorm stores its per-channel scale. */
export type { ActNormScaleParam } from '../specs/act-norm';

/**
 * With a scaleBound, the data-dependent init solves log(M) tanh(u) = target for the stored u; the ratio
 * target / log(M) is clipped to [-(1 - ATANH_MARGIN), 1 - ATANH_MARGIN] so u stays finite (|u| <= about 7.25) and
 * tanh(u) does not round to +-1 in float32, where training could no longer move it.
 */
const ATANH_MARGIN = 1e-6;

/** Arguments of {@link ActNorm}. */
export interface ActNormArgs extends LayerArgs {
  /**
   * 'log' (default): a weight `log_scale` with scale = exp(log_scale), always positive, so training can neither
   * flip its sign nor drive it to 0 (an exploding inverse). 'direct': the scale itself, weight `scale`; configs
   * saved before this option existed load as 'direct'.
   */
  scaleParam?: ActNormScaleParam;
  /**
   * M > 1, only with scaleParam 'log': the weight `log_scale` holds u and scale = exp(log(M) tanh(u)), so every
   * scale lies in [1/M, M] whatever training does; forward gain <= M and inverse gain 1/min scale <= M
   * (Behrmann et al. 2021). The data-dependent init targets scale = 1/(std + eps) as usual, clipped into the
   * representable range: a channel with std + eps outside (1/M, M) gets a scale just inside [1/M, M] (see
   * {@link ATANH_MARGIN}), so its output variance is not 1. Default: none (unbounded, as in Glow).
   */
  scaleBound?: number;
  /** Added to the per-channel std in the data-dependent init, so a constant channel gets scale 1/eps. Default 1e-6. */
  epsilon?: number;
  /** Initialise from the first batch seen with `training: true`. Default true; `initialize(x)` works either way. */
  dataInit?: boolean;
}

/**
 * Glow's activation normalisation: y = (x + bias) * scale per channel of the last axis (rank 2 or NHWC
 * rank 4), scale stored as its log by default and kept in [1/M, M] given a `scaleBound` M. The first training
 * batch (or an explicit `initialize(x)`) sets bias = -mean and scale = 1 / (std + eps), giving zero-mean
 * unit-variance outputs; the `initialized` flag is a non-trainable weight so it is saved with the weights and a
 * loaded model is not re-initialised.
 */
export class ActNorm extends LazyBuildLayer implements Invertible {
  static className = 'ActNorm';
  readonly epsilon: number;
  readonly dataInit: boolean;
  readonly scaleParam: ActNormScaleParam;
  /** M: every scale lies in [1/M, M]. Undefined: unbounded. */
  readonly scaleBound: number | undefined;
  /** The scale; its log with scaleParam 'log'; u with log scale = log(M) tanh(u) given a scaleBound. */
  private scale: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  private flag: tf.LayerVariable | null = null;
  // Only `true` is cached: once initialised a layer never goes back, and the weight stays the authority.
  private knownInitialized = false;

  constructor(args: ActNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? ACT_NORM_DEFAULTS.epsilon;
    this.dataInit = args.dataInit ?? ACT_NORM_DEFAULTS.dataInit;
    this.scaleParam = args.scaleParam ?? ACT_NORM_DEFAULTS.scaleParam;
    this.scaleBound = args.scaleBound ?? ACT_NORM_DEFAULTS.scaleBound;
    const error = actNormError(this);
    if (error !== undefined) configError(this.name, error);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const { channels } = vectorOrImageShape(this.name, inputShape);
    if (channels == null) configError(this.name, 'needs a known channel count on the last axis');
    this.scale =
      this.scaleParam === 'log'
        ? this.addLayerWeight('log_scale', [channels], tf.initializers.zeros())
        : this.addLayerWeight('scale', [channels], tf.initializers.ones());
    this.bias = this.addLayerWeight('bias', [channels], tf.initializers.zeros());
    this.flag = this.addLayerWeight('initialized', [], tf.initializers.zeros(), false);
    this.built = true;
  }

  private vars(x: tf.Tensor): { scale: tf.LayerVariable; bias: tf.LayerVariable; flag: tf.LayerVariable } {
    this.ensureBuilt(x.shape);
    return { scale: this.scale!, bias: this.bias!, flag: this.flag! };
  }

  /** Whether the data-dependent initialisation has run (here or before saving). */
  isInitialized(): boolean {
    if (!this.knownInitialized && this.flag !== null)
      this.knownInitialized = this.flag.read().dataSync()[0] === 1;
    return this.knownInitialized;
  }

  /**
   * Sets bias = -mean and scale = 1 / (std + eps) per channel from the batch `x`; with a scaleBound M the
   * target log-scale is clipped into the open interval (-log M, log M) before inverting the tanh (see
   * {@link ATANH_MARGIN}).
   */
  initialize(x: tf.Tensor): void {
    const { scale, bias, flag } = this.vars(x);
    tf.tidy(() => {
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      bias.write(tf.neg(mean));
      const spread = tf.add(tf.sqrt(variance), this.epsilon);
      scale.write(
        this.scaleParam === 'log' ? this.storedLogScale(tf.neg(tf.log(spread))) : tf.div(1, spread),
      );
      flag.write(tf.scalar(1));
    });
    this.knownInitialized = true;
  }

  /** The weight value giving log scale `target` (clipped into the representable range with a scaleBound). */
  private storedLogScale(target: tf.Tensor): tf.Tensor {
    if (this.scaleBound === undefined) return target;
    const limit = 1 - ATANH_MARGIN;
    return tf.atanh(tf.clipByValue(tf.div(target, Math.log(this.scaleBound)), -limit, limit));
  }

  /** log scale per channel from the stored weight, for scaleParam 'log'. */
  private logScale(stored: tf.Tensor): tf.Tensor {
    return this.scaleBound === undefined ? stored : tf.mul(tf.tanh(stored), Math.log(this.scaleBound));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    const { scale, bias } = this.vars(x);
    if (this.dataInit && kwargs?.['training'] === true && !this.isInitialized()) this.initialize(x);
    return tf.tidy(() => {
      const shifted = tf.add(x, bias.read());
      return this.scaleParam === 'log'
        ? tf.mul(shifted, tf.exp(this.logScale(scale.read())))
        : tf.mul(shifted, scale.read());
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    const { scale, bias } = this.vars(y);
    return tf.tidy(() => {
      const unscaled =
        this.scaleParam === 'log'
          ? tf.mul(y, tf.exp(tf.neg(this.logScale(scale.read()))))
          : tf.div(y, scale.read());
      return tf.sub(unscaled, bias.read());
    });
  }

  /** sum log|scale| times the number of spatial positions, the same for every example. */
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    const { scale } = this.vars(x);
    const positions = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    return tf.tidy(() => {
      const logScale = this.scaleParam === 'log' ? this.logScale(scale.read()) : tf.log(tf.abs(scale.read()));
      return tf.mul(tf.ones([x.shape[0]!]), tf.mul(tf.sum(logScale), positions));
    });
  }

  /**
   * Forward max |scale|, inverse 1 / min |scale| (exact: the map is diagonal), in float64 (formula:
   * core/src/specs/act-norm.ts). Infinity before build.
   */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.scale === null) return { forward: Infinity, inverse: Infinity };
    return actNormFromWeights(Array.from(this.scale.read().dataSync()), this);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      epsilon: this.epsilon,
      dataInit: this.dataInit,
      scaleParam: this.scaleParam,
      // Omitted when unbounded, so such configs read exactly as before the option existed.
      ...(this.scaleBound === undefined ? {} : { scaleBound: this.scaleBound }),
    };
  }

  /** A config without scaleParam predates the option and stored the scale directly. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({ ...config, scaleParam: config['scaleParam'] ?? 'direct' });
  }
}
tf.serialization.registerClass(ActNorm, PACKAGE);
