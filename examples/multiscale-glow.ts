// A two-level Glow (Dinh et al. 2017, Kingma & Dhariwal 2018): each level squeezes 2x2 patches into channels,
// runs its steps, and all but the last factor out half of the channels as a latent. Sampling inverts with every
// latent, each drawn from N(0, T^2). Bounded coupling scales and ActNorm's scaleBound keep the inverse
// finite; the 1x1 convolution is a learned, unconstrained linear map (a hint). glow.ts keeps ActNorm unbounded.
import { ActNorm, AdditiveCoupling, AffineCoupling, InvertibleConv1x1, MultiScaleFlow } from 'lipschitz-lens';

const hiddenChannels = 64;

function glowStep(seed: number) {
  return [
    new ActNorm({ scaleBound: 10 }),
    new InvertibleConv1x1({ seed }), // expect: unbounded-inverse-gain
    new AffineCoupling({ hiddenChannels, scale: 'bounded-tanh', scaleBound: 2, seed }),
  ];
}

/** @inputShape [8, 8, 2] */
export const multiscaleGlow = new MultiScaleFlow({
  levels: [
    [...glowStep(1), ...glowStep(2)],
    [...glowStep(3), new AdditiveCoupling({ hiddenChannels, seed: 4 })],
  ],
});
