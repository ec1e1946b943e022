import * as tf from '@tensorflow/tfjs';
import { configError, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, type LayerArgs, LazyBuildLayer, single, singleShape } from './layer-util';

/** Arguments of {@link ActNorm}. */
export interface ActNormArgs extends LayerArgs {
  /** Added to the per-channel std in the data-dependent init, so a constant channel gets scale 1/eps. Default 1e-6. */
  epsilon?: number;
  /** Initialise from the first batch seen with `training: true`. Default true; `initialize(x)` works either way. */
  dataInit?: boolean;
}

/**
 * Glow's activation normalisation: y = (x + bias) * scale per channel of the last axis (rank 2 or NHWC
 * rank 4). The first training batch (or an explicit `initialize(x)`) sets bias = -mean and
 * scale = 1 / (std + eps), giving zero-mean unit-variance outputs; the `initialized` flag is a
 * non-trainable weight so it is saved with the weights and a loaded model is not re-initialised.
 */
export class ActNorm extends LazyBuildLayer implements Invertible {
  static className = 'ActNorm';
  readonly epsilon: number;
  readonly dataInit: boolean;
  private scale: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  private flag: tf.LayerVariable | null = null;
  // Only `true` is cached: once initialised a layer never goes back, and the weight stays the authority.
  private knownInitialized = false;

  constructor(args: ActNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-6;
    this.dataInit = args.dataInit ?? true;
    if (!(this.epsilon > 0)) configError(this.name, `epsilon must be > 0, got ${this.epsilon}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (shape.length !== 2 && shape.length !== 4) {
      configError(
        this.name,
        `expects rank 2 [batch, features] or rank 4 NHWC input, got rank ${shape.length}`,
      );
    }
    const channels = shape[shape.length - 1];
    if (channels == null) configError(this.name, 'needs a known channel count on the last axis');
    this.scale = this.addLayerWeight('scale', [channels], tf.initializers.ones());
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

  /** Sets bias = -mean and scale = 1 / (std + eps) per channel from the batch `x`. */
  initialize(x: tf.Tensor): void {
    const { scale, bias, flag } = this.vars(x);
    tf.tidy(() => {
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      bias.write(tf.neg(mean));
      scale.write(tf.div(1, tf.add(tf.sqrt(variance), this.epsilon)));
      flag.write(tf.scalar(1));
    });
    this.knownInitialized = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    const { scale, bias } = this.vars(x);
    if (this.dataInit && kwargs?.['training'] === true && !this.isInitialized()) this.initialize(x);
    return tf.tidy(() => tf.mul(tf.add(x, bias.read()), scale.read()));
  }

  inverse(y: tf.Tensor): tf.Tensor {
    const { scale, bias } = this.vars(y);
    return tf.tidy(() => tf.sub(tf.div(y, scale.read()), bias.read()));
  }

  /** sum log|scale| times the number of spatial positions, the same for every example. */
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    const { scale } = this.vars(x);
    const positions = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    return tf.tidy(() =>
      tf.mul(tf.ones([x.shape[0]!]), tf.mul(tf.sum(tf.log(tf.abs(scale.read()))), positions)),
    );
  }

  /** Forward max |scale|, inverse 1 / min |scale| (exact: the map is diagonal). Infinity before build. */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.scale === null) return { forward: Infinity, inverse: Infinity };
    const s = Array.from(this.scale.read().dataSync(), Math.abs);
    return { forward: Math.max(...s), inverse: 1 / Math.min(...s) };
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, dataInit: this.dataInit };
  }
}
tf.serialization.registerClass(ActNorm, PACKAGE);
