/**
 * Specification of the conditioner both couplings share (core/src/layers/coupling-net.ts): an MLP (rank 2) or a
 * stack of 3x3 'same' convolutions (rank 4) from x1 to the coupling's parameters. Its defaults, option checks and
 * the Lipschitz bound of its outputs from the kernels' norms.
 */
import type { OptionError } from './spec';

export type ConditionerActivation = 'relu' | 'tanh' | 'elu' | 'softplus' | 'sigmoid' | 'linear';

/** Global Lipschitz constants of the activations (sup |f'|); sigmoid's slope peaks at 1/4. */
export const ACTIVATION_LIPSCHITZ: Readonly<Record<ConditionerActivation, number>> = {
  relu: 1,
  tanh: 1,
  elu: 1,
  softplus: 1,
  sigmoid: 0.25,
  linear: 1,
};

export interface CouplingNetOptions {
  hiddenUnits: number;
  hiddenChannels: number;
  hiddenLayers: number;
  activation: ConditionerActivation;
  zeroInit: boolean;
  /**
   * When set, c > 0: every conditioner kernel is rescaled to a certified spectral norm <= c (reshaped to
   * [rows, cout]), so the conditioner's Lipschitz constant is known from the options. Unset: unconstrained.
   */
  conditionerNorm: number | undefined;
}

/** The seed defaults to a hash of the layer name. */
export const COUPLING_NET_DEFAULTS: Readonly<CouplingNetOptions> = {
  hiddenUnits: 64,
  hiddenChannels: 32,
  hiddenLayers: 2,
  activation: 'relu',
  zeroInit: true,
  conditionerNorm: undefined,
};

/** The first error a coupling's constructor throws for its conditioner options; undefined when accepted. */
export function couplingNetError(o: {
  hiddenUnits: number;
  hiddenChannels: number;
  hiddenLayers: number;
  activation: unknown;
  conditionerNorm?: number | undefined;
}): OptionError | undefined {
  for (const [key, value] of [
    ['hiddenUnits', o.hiddenUnits],
    ['hiddenChannels', o.hiddenChannels],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) return `${key} must be a positive integer, got ${value}`;
  }
  if (!Number.isInteger(o.hiddenLayers) || o.hiddenLayers < 0) {
    return `hiddenLayers must be a non-negative integer, got ${o.hiddenLayers}`;
  }
  if (!((o.activation as string) in ACTIVATION_LIPSCHITZ))
    return `unknown activation '${String(o.activation)}'`;
  if (o.conditionerNorm !== undefined && !(o.conditionerNorm > 0 && Number.isFinite(o.conditionerNorm)))
    return `conditionerNorm must be a finite number > 0, got ${o.conditionerNorm}`;
  return undefined;
}

/**
 * Upper bound on the Lipschitz constant of the conditioner's outputs: the product of its layers' norms and the
 * activation constant between layers. `kernelNorms` are the spectral norms of the kernels (the last one's
 * restricted to the outputs in question) reshaped to [rows, cout]; a 3x3 'same' convolution (rank 4) is bounded
 * by sqrt(9) = 3 times that norm, since each input pixel enters 9 patches. Biases do not matter.
 */
export function conditionerLipschitz(
  kernelNorms: readonly number[],
  activation: ConditionerActivation,
  rank: 2 | 4,
): number {
  const spatial = rank === 4 ? 3 : 1;
  const between = ACTIVATION_LIPSCHITZ[activation] ** Math.max(0, kernelNorms.length - 1);
  return kernelNorms.reduce((l, n) => l * n * spatial, between);
}

/**
 * The conditioner's Lipschitz bound from its options alone: every one of its hiddenLayers + 1 kernels has norm
 * <= conditionerNorm. Undefined when the conditioner is unconstrained (its weights decide).
 */
export function constrainedConditionerLipschitz(
  o: Pick<CouplingNetOptions, 'hiddenLayers' | 'activation' | 'conditionerNorm'>,
  rank: 2 | 4,
): number | undefined {
  if (o.conditionerNorm === undefined) return undefined;
  return conditionerLipschitz(Array<number>(o.hiddenLayers + 1).fill(o.conditionerNorm), o.activation, rank);
}
