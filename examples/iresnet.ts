// An i-ResNet (Behrmann et al. 2019) in the functional API: x + g(x) blocks whose branch g is kept contractive
// by a spectral-norm constraint. The last block's coefficient is >= 1, so that block is not invertible.
import * as tf from '@tensorflow/tfjs';
import { SpectralNormConstraint } from 'lipschitz-lens';

const width = 16;
const hidden = 64;

function residualBlock(x: tf.SymbolicTensor, coeff: number): tf.SymbolicTensor {
  const h1 = tf.layers
    .dense({ units: hidden, activation: 'elu', kernelConstraint: new SpectralNormConstraint({ coeff }) })
    .apply(x) as tf.SymbolicTensor;
  const h2 = tf.layers
    .dense({ units: width, kernelConstraint: new SpectralNormConstraint({ coeff }) })
    .apply(h1) as tf.SymbolicTensor;
  return tf.layers.add().apply([x, h2]) as tf.SymbolicTensor;
}

/**
 * @invertible
 * @checkpoint ./checkpoints/iresnet/model.json
 */
export function buildIResNet(): tf.LayersModel {
  const input = tf.input({ shape: [width] });
  let x = residualBlock(input, 0.9);
  x = residualBlock(x, 0.9);
  // The third branch is written out: its coefficient is too large.
  const g = tf.layers
    .dense({ units: width, kernelConstraint: new SpectralNormConstraint({ coeff: 1.2 }) }) // expect: residual-coefficient-too-large
    .apply(x) as tf.SymbolicTensor;
  const out = tf.layers.add().apply([x, g]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}
