import * as tf from '@tensorflow/tfjs';
import { configError, PACKAGE } from './invertible';
import { singleShape } from './layer-util';
import { DENSE_OPERATOR, SpectralLayer, type SpectralLayerArgs } from './spectral-layer';

export interface SpectralDenseArgs extends SpectralLayerArgs {
  units: number;
}

/**
 * Dense layer with a spectrally normalized kernel: y = act(x W_sn + b), W_sn = W * min(1, c / sigma), sigma a
 * certified upper bound of sigma_max(W) (Gram iteration; norm 'power': the power estimate). The power-iteration vector `u` is a non-trainable weight, so it is saved with the model and stays warm.
 */
export class SpectralDense extends SpectralLayer<tf.Tensor2D, tf.Tensor1D> {
  static readonly className = 'SpectralDense';
  readonly units: number;

  constructor(args: SpectralDenseArgs) {
    super(args);
    this.units = args.units;
    if (!Number.isInteger(this.units) || this.units < 1)
      configError(this.name, `units must be a positive integer, got ${this.units}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const inDim = shape[shape.length - 1];
    if (shape.length < 2 || inDim === null || inDim === undefined) {
      configError(this.name, `expects inputs [batch, ..., features] with a known last axis, got [${shape}]`);
    }
    this.addSpectralWeights([inDim, this.units], [this.units], DENSE_OPERATOR);
    this.inputSpec = [new tf.InputSpec({ minNDim: 2, axes: { [-1]: inDim } })];
    this.built = true;
  }

  /** x W on the last axis, leading axes kept as in tf.layers.dense. */
  protected override applyKernel(x: tf.Tensor, kernel: tf.Tensor2D): tf.Tensor {
    const flat = x.reshape([-1, kernel.shape[0]]);
    return tf.matMul(flat, kernel).reshape([...x.shape.slice(0, -1), this.units]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...singleShape(inputShape).slice(0, -1), this.units];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}
tf.serialization.registerClass(SpectralDense, PACKAGE);
