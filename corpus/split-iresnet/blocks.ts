// Dense building blocks shared by the i-ResNet experiments and their evaluation heads.
import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';

export const WIDTH = 16;

/** A dense layer held to spectral norm <= coeff: the only kind allowed inside an i-ResNet branch. */
export function snDense(units: number, coeff = 0.9, activation: 'elu' | 'linear' = 'linear'): tf.layers.Layer {
  return tf.layers.dense({ units, activation, kernelConstraint: spectralNorm({ coeff }) });
}

/** A plain dense layer, for heads and probes on top of the flow. */
export function plainDense(units: number, activation: 'relu' | 'softmax' | 'linear' = 'linear'): tf.layers.Layer {
  return tf.layers.dense({ units, activation, kernelInitializer: 'glorotNormal' }); // expect: missing-lipschitz-constraint@error
}

/** The branch g of one residual block: dense(elu) x depth, then a dense back to WIDTH. */
export function makeMlp(hidden: number, depth = 2, coeff = 0.9): tf.layers.Layer[] {
  const layers: tf.layers.Layer[] = [];
  for (let i = 0; i < depth; i++) layers.push(snDense(hidden, coeff, 'elu'));
  layers.push(snDense(WIDTH, coeff));
  return layers;
}

/** Spectral coefficients of a list of layers, for logging the branch's Lipschitz bound (their product). */
export function branchBound(layers: tf.layers.Layer[]): number {
  return layers.reduce((acc, l) => {
    const cfg = l.getConfig() as { kernelConstraint?: { config?: { coeff?: number } } };
    return acc * (cfg.kernelConstraint?.config?.coeff ?? Infinity);
  }, 1);
}

export function applyAll(layers: tf.layers.Layer[], x: tf.SymbolicTensor): tf.SymbolicTensor {
  return layers.reduce((h, l) => l.apply(h) as tf.SymbolicTensor, x);
}
