/**
 * The flows the reproduction trains: the four families of Behrmann et al. (2021), Fig. 1, at the same depth (four
 * steps, a permutation after each) and conditioner width, so what differs is the block.
 */
import {
  ActNorm,
  AdditiveCoupling,
  AffineCoupling,
  Flow,
  type InvertibleLayer,
  InvertibleResidual,
  Permutation,
} from '../layers';

export interface ReproducedFlow {
  id: string;
  title: string;
  /** What the block is and what the paper says of it. */
  description: string;
  build(seed: number): Flow;
  /** Trains with the finite-difference bi-Lipschitz regulariser added to the loss. */
  regularized?: boolean;
}

const STEPS = 4;
const HIDDEN = 32;

function steps(block: (k: number, seed: number) => InvertibleLayer[], seed: number): Flow {
  const layers: InvertibleLayer[] = [];
  for (let k = 0; k < STEPS; k++)
    layers.push(...block(k, seed + 10 * k), new Permutation({ seed: seed + 10 * k + 9, name: `perm_${k}` }));
  return new Flow(layers);
}

const affineExp = (seed: number): Flow =>
  steps(
    (k, s) => [new AffineCoupling({ scale: 'exp', hiddenUnits: HIDDEN, seed: s, name: `affine_exp_${k}` })],
    seed,
  );

export const REPRODUCED_FLOWS: readonly ReproducedFlow[] = [
  {
    id: 'affine-exp',
    title: 'Affine coupling, exp scale',
    description:
      'RealNVP/Glow-style y2 = x2 exp(h(x1)) + t(x1): neither direction is Lipschitz; the inverse divides by exp(h)',
    build: affineExp,
  },
  {
    id: 'affine-bounded',
    title: 'Affine coupling, bounded scale',
    description: 'scale exp(log(2) tanh(h)) in [1/2, 2]: bounded gain in x2, still not globally bi-Lipschitz',
    build: (seed) =>
      steps(
        (k, s) => [
          new AffineCoupling({
            scale: 'bounded-tanh',
            scaleBound: 2,
            hiddenUnits: HIDDEN,
            seed: s,
            name: `affine_bounded_${k}`,
          }),
        ],
        seed,
      ),
  },
  {
    id: 'additive-actnorm',
    title: 'Additive coupling + ActNorm',
    description: 'NICE-style y2 = x2 + t(x1) after an ActNorm with its scale in [1/10, 10]: bi-Lipschitz',
    build: (seed) =>
      steps(
        (k, s) => [
          new ActNorm({ scaleBound: 10, name: `actnorm_${k}` }),
          new AdditiveCoupling({ hiddenUnits: HIDDEN, seed: s, name: `additive_${k}` }),
        ],
        seed,
      ),
  },
  {
    id: 'i-resnet',
    title: 'i-ResNet',
    description: 'x + g(x) with Lip(g) <= 0.9 by spectral normalisation: forward <= 1.9, inverse <= 10',
    build: (seed) =>
      steps(
        (k, s) => [
          new InvertibleResidual({ hiddenUnits: [HIDDEN], coeff: 0.9, seed: s, name: `iresnet_${k}` }),
        ],
        seed,
      ),
  },
];

/** The affine-exp flow again, trained with the finite-difference regulariser (`--regularizer`). */
export const REGULARIZED_FLOW: ReproducedFlow = {
  id: 'affine-exp-regularized',
  title: 'Affine coupling, exp scale, bi-Lipschitz regulariser',
  description:
    'the affine-exp flow trained with the finite-difference penalty on forward and inverse Jacobians: local stability only',
  build: affineExp,
  regularized: true,
};
