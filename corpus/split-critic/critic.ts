// WGAN-GP on 64x64 images with the blocks from ./blocks.ts. The critic is trained on the Wasserstein objective with
// a gradient penalty pulling ||grad D|| towards 1 on interpolates between real and generated images.
import * as tf from '@tensorflow/tfjs';
import { downBlock, stack, upBlock } from './blocks';

const Z = 128;
const GP_WEIGHT = 10;

export function buildCritic(): tf.Sequential {
  const critic = stack([downBlock(64, {}, [64, 64, 3]), downBlock(128), downBlock(256), downBlock(512)]);
  critic.add(tf.layers.flatten());
  critic.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@warning
  return critic;
}

export function buildGenerator(): tf.Sequential {
  const generator = tf.sequential();
  generator.add(tf.layers.dense({ units: 4 * 4 * 512, inputShape: [Z] })); // expect: missing-lipschitz-constraint@info
  generator.add(tf.layers.reshape({ targetShape: [4, 4, 512] }));
  for (const group of [upBlock(256), upBlock(128), upBlock(64)]) for (const l of group) generator.add(l);
  generator.add(tf.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' })); // expect: missing-lipschitz-constraint@info
  return generator;
}

function gradientPenalty(critic: tf.Sequential, real: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar {
  const eps = tf.randomUniform([real.shape[0], 1, 1, 1]);
  const xHat = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake));
  const grads = tf.grad((x: tf.Tensor) => tf.sum(critic.apply(x) as tf.Tensor))(xHat);
  const norm = tf.sqrt(tf.add(tf.sum(tf.square(grads), [1, 2, 3]), 1e-12));
  return tf.mul(GP_WEIGHT, tf.mean(tf.square(tf.sub(norm, 1)))) as tf.Scalar;
}

export function criticLoss(critic: tf.Sequential, real: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar {
  const wasserstein = tf.sub(tf.mean(critic.apply(fake) as tf.Tensor), tf.mean(critic.apply(real) as tf.Tensor));
  return tf.add(wasserstein, gradientPenalty(critic, real, fake)) as tf.Scalar;
}

export function generatorLoss(critic: tf.Sequential, generator: tf.Sequential, batch: number): tf.Scalar {
  return tf.neg(tf.mean(critic.apply(generator.apply(tf.randomNormal([batch, Z])) as tf.Tensor) as tf.Tensor)) as tf.Scalar;
}

export const critic = buildCritic();
export const generator = buildGenerator();
