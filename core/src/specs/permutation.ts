/**
 * Specification of Permutation (core/src/layers/permutation.ts): a fixed permutation of the last axis, an
 * isometry both ways.
 */
import type { OptionError, StaticBounds, WeightBounds } from './spec';

export type PermutationMode = 'reverse' | 'shuffle';

export const PERMUTATION_DEFAULTS: { readonly mode: PermutationMode } = { mode: 'shuffle' };

/** The error the layer's constructor throws for its mode; undefined when accepted. */
export function permutationModeError(mode: unknown): OptionError | undefined {
  return mode === 'reverse' || mode === 'shuffle'
    ? undefined
    : `mode must be 'reverse' or 'shuffle', got '${String(mode)}'`;
}

/** The inverse of a given permutation (output i is input perm[i]), or the error the layer throws. */
export function invertPermutation(perm: readonly number[]): number[] | { error: OptionError } {
  const inv = new Array<number>(perm.length).fill(-1);
  for (let i = 0; i < perm.length; i++) {
    const p = perm[i]!;
    if (!Number.isInteger(p) || p < 0 || p >= perm.length || inv[p] !== -1) {
      return { error: `permutation is not a permutation of 0..${perm.length - 1}` };
    }
    inv[p] = i;
  }
  return inv;
}

/** Static and from weights alike: 1 both ways. */
export function permutationStatic(layerType = 'Permutation'): StaticBounds {
  return { forward: 1, inverse: 1, source: `${layerType}: an orthogonal rearrangement`, notes: [] };
}

export function permutationFromWeights(): WeightBounds {
  return { forward: 1, inverse: 1 };
}
