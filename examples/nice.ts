// NICE (Dinh et al. 2015): additive couplings with permutations in between. Volume preserving; the inverse
// Lipschitz constant is bounded by 1 + Lip(t), and this project's AdditiveCoupling keeps t spectrally normalised.
import { AdditiveCoupling, Flow, Permutation } from 'lipschitz-lens';

const hiddenUnits = 256;
const hiddenLayers = 3;

/** @inputShape [8] */
export const nice = new Flow([
  new AdditiveCoupling({ hiddenUnits, hiddenLayers, zeroInit: false }),
  new Permutation({ seed: 1 }),
  new AdditiveCoupling({ hiddenUnits, hiddenLayers, zeroInit: false }),
  new Permutation({ seed: 2 }),
  new AdditiveCoupling({ hiddenUnits, hiddenLayers, zeroInit: false }),
  new Permutation({ seed: 3 }),
  new AdditiveCoupling({ hiddenUnits, hiddenLayers, zeroInit: false }),
]);
