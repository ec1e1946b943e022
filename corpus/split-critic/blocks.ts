// Convolutional blocks shared by the generator and the critic in ./critic.ts (a DCGAN-style layout).
import * as tf from '@tensorflow/tfjs';

export interface BlockOptions {
  kernelSize?: number;
  alpha?: number;
}

/** Critic block: strided conv + leaky ReLU, no normalisation (WGAN-GP forbids batch norm in the critic). */
export function downBlock(filters: number, opts: BlockOptions = {}, inputShape?: number[]): tf.layers.Layer[] {
  const conv = tf.layers.conv2d({ // expect: missing-lipschitz-constraint@warning
    filters,
    kernelSize: opts.kernelSize ?? 4,
    strides: 2,
    padding: 'same',
    ...(inputShape ? { inputShape } : {}),
  });
  return [conv, tf.layers.leakyReLU({ alpha: opts.alpha ?? 0.2 })];
}

/** Generator block: transposed conv (x2 upsampling) + batch norm + ReLU. */
export function upBlock(filters: number, opts: BlockOptions = {}): tf.layers.Layer[] {
  return [
    tf.layers.conv2dTranspose({ filters, kernelSize: opts.kernelSize ?? 4, strides: 2, padding: 'same', useBias: false }), // expect: missing-lipschitz-constraint@info
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
  ];
}

export function stack(layers: tf.layers.Layer[][]): tf.Sequential {
  const model = tf.sequential();
  for (const group of layers) for (const layer of group) model.add(layer);
  return model;
}
