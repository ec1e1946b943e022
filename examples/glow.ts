// A Glow-like flow from this project's layers: ActNorm, an invertible 1x1 convolution, then a coupling.
// Affine couplings with `scale: 'exp'` have no bound on the inverse; additive couplings are volume preserving.
import { ActNorm, AdditiveCoupling, AffineCoupling, Flow, InvertibleConv1x1, Squeeze } from 'lipschitz-lens';

const hiddenChannels = 128;

function glowStep(kind: 'affine' | 'additive') {
  const coupling =
    kind === 'affine'
      ? new AffineCoupling({ hiddenChannels, scale: 'exp', zeroInit: false }) // expect: unbounded-coupling-scale
      : new AdditiveCoupling({ hiddenChannels, zeroInit: false });
  return [new ActNorm({}), new InvertibleConv1x1({}), coupling]; // expect: unbounded-inverse-gain
}

/** @inputShape [8, 8, 2] */
export const glow = new Flow([new Squeeze({}), ...glowStep('affine'), ...glowStep('additive')]);
