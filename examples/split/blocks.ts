// Building blocks for split/model.ts: a spectrally normalised residual branch.
import * as tf from '@tensorflow/tfjs';
import { SpectralNormConstraint } from 'lipschitz-lens';

export const WIDTH = 32;

export function lipschitzDense(units: number, coeff = 0.9) {
  return tf.layers.dense({ units, kernelConstraint: new SpectralNormConstraint({ coeff }) });
}

export function residual(x: tf.SymbolicTensor, coeff: number): tf.SymbolicTensor {
  const h = lipschitzDense(WIDTH, coeff).apply(lipschitzDense(WIDTH, coeff).apply(x)) as tf.SymbolicTensor;
  return tf.layers.add().apply([x, h]) as tf.SymbolicTensor;
}
