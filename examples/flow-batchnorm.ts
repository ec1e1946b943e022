// A flow that normalises with BatchNormalization between couplings. At inference BatchNorm is an affine map
// with scale gamma / sqrt(var + eps): training can drive it towards 0, and the inverse gain explodes.
import * as tf from '@tensorflow/tfjs';
import { AdditiveCoupling, Flow, Permutation } from 'lipschitz-lens';

/** @inputShape [8] */
export const bnFlow = new Flow([
  new AdditiveCoupling({ hiddenUnits: 64 }),
  tf.layers.batchNormalization({ axis: -1 }), // expect: batchnorm-in-invertible
  new Permutation({}),
  new AdditiveCoupling({ hiddenUnits: 64 }),
  tf.layers.batchNormalization({ axis: -1 }), // expect: batchnorm-in-invertible
]);
