// RealNVP on CIFAR pixels with the paper's preprocessing: uniform dequantisation, then the logit transform
// y = logit(alpha + (1 - 2 alpha) x) whose log-det is part of the likelihood. The preprocessing was written as a
// tfjs layer and put first in the Flow, but only its forward direction was implemented, so sampling (which runs
// every layer's inverse) breaks on it.
import * as tf from '@tensorflow/tfjs';
import { AffineCoupling, Flow, Permutation } from 'lipschitz-lens';

const ALPHA = 0.05;

export class LogitPreprocess extends tf.layers.Layer { // expect: custom-layer-missing-inverse@error
  static className = 'LogitPreprocess';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => {
      const noisy = tf.div(tf.add(tf.mul(x, 255), tf.randomUniform(x.shape)), 256);
      const p = tf.add(ALPHA, tf.mul(1 - 2 * ALPHA, noisy));
      return tf.sub(tf.log(p), tf.log(tf.sub(1, p)));
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const p = tf.add(ALPHA, tf.mul(1 - 2 * ALPHA, x));
      const perDim = tf.sub(Math.log(1 - 2 * ALPHA), tf.add(tf.log(p), tf.log(tf.sub(1, p))));
      return tf.sum(tf.reshape(perDim, [x.shape[0]!, -1]), 1);
    });
  }
}
tf.serialization.registerClass(LogitPreprocess);

function couplingStack(n: number, hiddenChannels: number) {
  const layers = [];
  for (let i = 0; i < n; i++) {
    layers.push(new AffineCoupling({ hiddenChannels, scale: 'bounded-tanh', scaleBound: 3 }));
    layers.push(new Permutation({ seed: 100 + i }));
  }
  return layers;
}

/** @inputShape [32, 32, 3] */
export const realNvp = new Flow([new LogitPreprocess({}), ...couplingStack(8, 64)]);

/** Bits per dimension, counting the preprocessing's log-det and the 8-bit discretisation. */
export function bitsPerDim(flow: Flow, images: tf.Tensor4D): number {
  return tf.tidy(() => {
    const nDims = images.size / images.shape[0];
    const z = flow.apply(images) as tf.Tensor;
    const logpz = tf.mul(-0.5, tf.sum(tf.reshape(tf.add(tf.square(z), Math.log(2 * Math.PI)), [images.shape[0], -1]), 1));
    const ll = tf.add(logpz, flow.logDetJacobian(images));
    return tf.div(tf.neg(tf.sub(tf.mean(ll), nDims * Math.log(256))), nDims * Math.LN2).dataSync()[0]!;
  });
}

export function sample(flow: Flow, n: number): tf.Tensor {
  return flow.inverse(tf.randomNormal([n, 32, 32, 3]));
}
