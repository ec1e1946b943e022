// A flow written with this project's stable layers: bounded coupling scales, spectrally normalised residual
// blocks, ActNorm with its scale bounded to [1/M, M] by scaleBound. The linter has nothing to say here.
import { ActNorm, AffineCoupling, Flow, InvertibleResidual, Permutation } from 'lipschitz-lens';

const hiddenUnits = 64;

/** @inputShape [8] */
export const stableFlow = new Flow([
  new ActNorm({ scaleBound: 10 }),
  new AffineCoupling({ hiddenUnits, scale: 'bounded-tanh', scaleBound: 2 }),
  new Permutation({ seed: 7 }),
  new AffineCoupling({ hiddenUnits, scale: 'sigmoid-floor', scaleFloor: 0.05 }),
  new InvertibleResidual({ hiddenUnits: [hiddenUnits, hiddenUnits], coeff: 0.9 }),
  new Permutation({ seed: 8 }),
]);
