// RealNVP (Dinh et al. 2017) with a hand-written affine coupling: y2 = x2 * exp(s(x1)) + t(x1).
// The s network ends in tanh, as in the paper, so exp(s) lies in [1/e, e]: the scale is bounded both ways and
// gets no finding (without the tanh, exp(s) would be unbounded and the inverse could explode).
import * as tf from '@tensorflow/tfjs';
import { SpectralNormConstraint } from 'lipschitz-lens';

const half = 4;

export class RealNvpCoupling extends tf.layers.Layer {
  static className = 'RealNvpCoupling';
  private readonly s = tf.layers.dense({
    units: half,
    activation: 'tanh',
    kernelConstraint: new SpectralNormConstraint({ coeff: 0.9 }),
  });
  private readonly t = tf.layers.dense({
    units: half,
    kernelConstraint: new SpectralNormConstraint({ coeff: 0.9 }),
  });

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [x1, x2] = tf.split(x, 2, -1);
      const scale = tf.exp(this.s.apply(x1) as tf.Tensor);
      const y2 = tf.add(tf.mul(x2, scale), this.t.apply(x1) as tf.Tensor);
      return tf.concat([x1, y2], -1);
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = tf.split(y, 2, -1);
      const scale = tf.exp(this.s.apply(y1) as tf.Tensor);
      const x2 = tf.div(tf.sub(y2, this.t.apply(y1) as tf.Tensor), scale);
      return tf.concat([y1, x2], -1);
    });
  }
}
tf.serialization.registerClass(RealNvpCoupling);

export const realNvp = tf.sequential({
  layers: [new RealNvpCoupling({ inputShape: [2 * half] }), new RealNvpCoupling({}), new RealNvpCoupling({})],
});
