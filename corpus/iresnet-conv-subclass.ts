// A convolutional i-ResNet block after Behrmann et al. (2019): g = conv3x3 -> elu -> conv1x1 -> elu -> conv3x3,
// each convolution spectrally normalised to 0.9, y = x + g(x), inverted by fixed-point iteration. This port keeps
// the convolutions in class fields. Two things crept in while tuning: batch norm inside the branch, and a third
// convolution whose constraint was dropped when its kernel size changed.
import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';

export class ConvIResBlock extends tf.layers.Layer {
  static className = 'ConvIResBlock';
  private readonly conv1: tf.layers.Layer;
  private readonly conv2: tf.layers.Layer;
  private readonly conv3: tf.layers.Layer;
  private readonly norm: tf.layers.Layer;
  private readonly iterations: number;

  constructor(channels: number, hidden = 128, config: { inputShape?: number[]; iterations?: number } = {}) {
    super(config.inputShape ? { inputShape: config.inputShape } : {});
    this.iterations = config.iterations ?? 50;
    this.conv1 = tf.layers.conv2d({ filters: hidden, kernelSize: 3, padding: 'same', kernelConstraint: spectralNorm({ coeff: 0.9 }) });
    this.norm = tf.layers.batchNormalization({ axis: -1 }); // expect: batchnorm-in-invertible@warning
    this.conv2 = tf.layers.conv2d({ filters: hidden, kernelSize: 1, padding: 'same', kernelConstraint: spectralNorm({ coeff: 0.9 }) });
    this.conv3 = tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same' }); // expect: missing-lipschitz-constraint@error
  }

  private g(x: tf.Tensor, training = false): tf.Tensor {
    let h = this.conv1.apply(x) as tf.Tensor;
    h = this.norm.apply(h, { training }) as tf.Tensor;
    h = tf.elu(h);
    h = tf.elu(this.conv2.apply(h) as tf.Tensor);
    return this.conv3.apply(h) as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => tf.add(x, this.g(x, kwargs.training)));
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let x = y;
      for (let k = 0; k < this.iterations; k++) x = tf.sub(y, this.g(x));
      return x;
    });
  }
}
tf.serialization.registerClass(ConvIResBlock);

/** Invertible downsampling between stages: space-to-depth, [h, w, c] -> [h/2, w/2, 4c], a pure rearrangement. */
export class SpaceToDepth extends tf.layers.Layer {
  static className = 'SpaceToDepth';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
    const [b, h, w, c] = x.shape;
    return x.reshape([b, h / 2, 2, w / 2, 2, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, h / 2, w / 2, 4 * c]);
  }
  inverse(y: tf.Tensor4D): tf.Tensor {
    const [b, h, w, c] = y.shape;
    return y.reshape([b, h, w, 2, 2, c / 4]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, 2 * h, 2 * w, c / 4]);
  }
  override computeOutputShape(s: tf.Shape): tf.Shape {
    return [s[0]!, s[1]! / 2, s[2]! / 2, s[3]! * 4];
  }
}
tf.serialization.registerClass(SpaceToDepth);

export function iresnet(stages = 3, blocksPerStage = 4): tf.Sequential {
  const model = tf.sequential();
  let channels = 3;
  for (let s = 0; s < stages; s++) {
    for (let b = 0; b < blocksPerStage; b++) {
      model.add(new ConvIResBlock(channels, 128, s === 0 && b === 0 ? { inputShape: [32, 32, 3] } : {}));
    }
    if (s < stages - 1) {
      model.add(new SpaceToDepth({}));
      channels *= 4;
    }
  }
  return model;
}
