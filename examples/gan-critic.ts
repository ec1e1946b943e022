// A WGAN critic must be 1-Lipschitz. maxNorm bounds each column, which only bounds the spectral norm by
// sqrt(units) * maxValue; spectral normalisation bounds it by the coefficient.
const tf = require('@tensorflow/tfjs');
const { SpectralNormConstraint } = require('lipschitz-lens');

const maxValue = 1;

export function buildCritic() {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 256,
        inputShape: [64],
        kernelConstraint: tf.constraints.maxNorm({ maxValue }), // expect: column-norm-not-spectral
      }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.dense({ units: 256, kernelConstraint: tf.constraints.maxNorm({ maxValue: 2 }) }), // expect: column-norm-not-spectral
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.dense({ units: 1, kernelConstraint: new SpectralNormConstraint({ coeff: 1 }) }),
    ],
  });
}
