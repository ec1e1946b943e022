import type { Bound } from './bound';

/** Lipschitz constants of an elementwise activation and of its inverse (1 / min slope when injective). */
export interface ActivationConstants {
  forward: Bound;
  inverse: Bound;
  /** Why, for hovers and messages. */
  note: string;
}

const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

/**
 * Keyed by tfjs activation identifiers and op names (lower-cased). Inverse bounds: monotone maps whose slope
 * tends to 0 (tanh, sigmoid, softplus, elu) have no Lipschitz inverse; relu is not injective at all.
 */
const TABLE: Record<string, ActivationConstants> = {
  linear: { forward: 1, inverse: 1, note: 'identity' },
  identity: { forward: 1, inverse: 1, note: 'identity' },
  relu: { forward: 1, inverse: 'unbounded', note: 'relu: slope 0 or 1, not injective' },
  relu6: { forward: 1, inverse: 'unbounded', note: 'relu6: slope 0 or 1, not injective' },
  // tfjs's leakyRelu default alpha is 0.2 (op) / 0.3 (layer); the layer case passes its own alpha.
  leakyrelu: { forward: 1, inverse: 5, note: 'leakyRelu: slopes alpha=0.2 and 1' },
  elu: { forward: 1, inverse: 'unbounded', note: 'elu (alpha=1): slope in (0, 1]' },
  selu: {
    forward: SELU_SCALE * SELU_ALPHA,
    inverse: 'unbounded',
    note: `selu: max slope scale × alpha = ${(SELU_SCALE * SELU_ALPHA).toFixed(4)}`,
  },
  tanh: { forward: 1, inverse: 'unbounded', note: 'tanh: slope in (0, 1]' },
  sigmoid: { forward: 0.25, inverse: 'unbounded', note: 'sigmoid: slope in (0, 1/4]' },
  hardsigmoid: { forward: 0.2, inverse: 'unbounded', note: 'hardSigmoid: slope 0 or 0.2' },
  softplus: { forward: 1, inverse: 'unbounded', note: 'softplus: slope in (0, 1)' },
  softsign: { forward: 1, inverse: 'unbounded', note: 'softsign: slope in (0, 1]' },
  softmax: { forward: 1, inverse: 'unbounded', note: 'softmax: Lipschitz 1, not injective' },
  swish: { forward: 1.0998, inverse: 'unbounded', note: 'swish: max slope ~1.0998' },
  silu: { forward: 1.0998, inverse: 'unbounded', note: 'silu: max slope ~1.0998' },
  lipswish: { forward: 1, inverse: 'unbounded', note: 'lipswish: x · sigmoid(x) / 1.1, slope <= 1' },
  gelu: { forward: 1.1289, inverse: 'unbounded', note: 'gelu: max slope ~1.1289' },
  mish: { forward: 1.0886, inverse: 'unbounded', note: 'mish: max slope ~1.0886' },
  exponential: { forward: 'unbounded', inverse: 'unbounded', note: 'exp: slope unbounded above, tends to 0' },
  exp: { forward: 'unbounded', inverse: 'unbounded', note: 'exp: slope unbounded above, tends to 0' },
  square: { forward: 'unbounded', inverse: 'unbounded', note: 'square: slope 2|x| unbounded' },
  log: { forward: 'unbounded', inverse: 'unbounded', note: 'log: slope 1/x unbounded near 0' },
  sqrt: { forward: 'unbounded', inverse: 'unbounded', note: 'sqrt: slope unbounded near 0' },
  abs: { forward: 1, inverse: 'unbounded', note: 'abs: not injective' },
  neg: { forward: 1, inverse: 1, note: 'negation' },
};

/** Ops that only move values around. */
const SHAPE_OPS = new Set(['reshape', 'flatten', 'transpose', 'identity', 'squeeze', 'expanddims', 'clone']);

export function activationConstants(name: string, alpha?: number): ActivationConstants | undefined {
  const key = name.toLowerCase();
  if (key === 'leakyrelu' && alpha !== undefined && alpha > 0) {
    return {
      forward: Math.max(1, alpha),
      inverse: 1 / Math.min(1, alpha),
      note: `leakyRelu: slopes alpha=${alpha} and 1`,
    };
  }
  if (SHAPE_OPS.has(key)) return { forward: 1, inverse: 1, note: `${name}: rearranges values` };
  return TABLE[key];
}

/** Globally non-Lipschitz activations and ops (`pow` is judged by its exponent elsewhere). */
export function isNonLipschitz(name: string): boolean {
  return activationConstants(name)?.forward === 'unbounded';
}
