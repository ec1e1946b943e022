// A flow that normalises with BatchNormalization between couplings. At inference BatchNorm is an affine map
// with scale gamma / sqrt(var + eps): training can drive it towards 0, and the inverse gain explodes.
// lipschitz-lens's Flow takes only invertible layers, so the model is a tf.sequential marked @invertible.
import * as tf from '@tensorflow/tfjs';
import { AdditiveCoupling, Permutation } from 'lipschitz-lens';

/** @invertible */
export const bnFlow = tf.sequential({
  layers: [
    new AdditiveCoupling({ hiddenUnits: 64, inputShape: [8] }),
    tf.layers.batchNormalization({ axis: -1 }), // expect: batchnorm-in-invertible
    new Permutation({}),
    new AdditiveCoupling({ hiddenUnits: 64 }),
    tf.layers.batchNormalization({ axis: -1 }), // expect: batchnorm-in-invertible
  ],
});
