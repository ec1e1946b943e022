// Hand-written couplings with bounded scales: sigmoid(h + 2) * (1 - eps) + eps, and exp(log(M) * tanh(h)).
import * as tf from '@tensorflow/tfjs';
import { SpectralNormConstraint } from 'lipschitz-lens';

const eps = 1e-2;
const maxScale = 2;

export class FloorCoupling extends tf.layers.Layer {
  static className = 'FloorCoupling';
  private readonly net = tf.layers.dense({
    units: 8,
    kernelConstraint: new SpectralNormConstraint({ coeff: 0.9 }),
  });
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [x1, x2] = tf.split(x, 2, -1);
      const h = this.net.apply(x1) as tf.Tensor;
      const s = tf.add(tf.mul(tf.sigmoid(tf.add(h, 2)), 1 - eps), eps);
      return tf.concat([x1, tf.mul(x2, s)], -1);
    });
  }
  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = tf.split(y, 2, -1);
      const h = this.net.apply(y1) as tf.Tensor;
      const s = tf.add(tf.mul(tf.sigmoid(tf.add(h, 2)), 1 - eps), eps);
      return tf.concat([y1, tf.div(y2, s)], -1);
    });
  }
}

export class TanhCoupling extends tf.layers.Layer {
  static className = 'TanhCoupling';
  private readonly net = tf.layers.dense({
    units: 8,
    kernelConstraint: new SpectralNormConstraint({ coeff: 0.9 }),
  });
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [x1, x2] = tf.split(x, 2, -1);
      const h = this.net.apply(x1) as tf.Tensor;
      const s = tf.exp(tf.mul(Math.log(maxScale), tf.tanh(h)));
      return tf.concat([x1, x2.mul(s)], -1);
    });
  }
  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = tf.split(y, 2, -1);
      const h = this.net.apply(y1) as tf.Tensor;
      const s = tf.exp(tf.mul(Math.log(maxScale), tf.tanh(h)));
      return tf.concat([y1, y2.div(s)], -1);
    });
  }
}

/** @invertible */
export const boundedFlow = tf.sequential({
  layers: [new FloorCoupling({ inputShape: [16] }), new TanhCoupling({})],
});
