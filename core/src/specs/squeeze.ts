/**
 * Specification of Squeeze (core/src/layers/squeeze.ts): each 2x2 patch moved into channels, a permutation of the
 * entries, so an isometry both ways; it has no options of its own.
 */
import { permutationFromWeights, permutationStatic } from './permutation';
import type { StaticBounds, WeightBounds } from './spec';

export function squeezeStatic(): StaticBounds {
  return permutationStatic('Squeeze');
}

export function squeezeFromWeights(): WeightBounds {
  return permutationFromWeights();
}
