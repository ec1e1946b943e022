/**
 * Specification of MultiScaleFlow (core/src/layers/multi-scale-flow.ts): each level squeezes, applies its steps
 * and, except the last, factors out half of its channels as a latent that skips the later levels.
 *
 * With L_i the product of level i's step bounds, B_last = L_last and B_i = L_i * max(1, B_next). After a split
 * the factored-out half leaves unchanged while the rest goes through the later levels; the two halves are
 * complementary orthogonal projections, so the map from a level's state to its latents has constant
 * max(1, B_next) (squeeze and split are isometric). A contracting later level therefore cannot pull the flow's
 * constant below 1, and the plain product of every step's bound is not a bound. The inverse composes the same way.
 */
import { type Bound, formatBound, mulBound } from '../bounds/bound';
import type { StaticBounds, WeightBounds } from './spec';

/** max(1, b): `unbounded` and `unknown` stay as they are (both are at least 1 as far as anyone knows). */
function atLeastOne(b: Bound): Bound {
  return typeof b === 'number' ? Math.max(1, b) : b;
}

/** B_0 from the per-level products L_0 .. L_{n-1} (forward, or inverse), by B_i = L_i max(1, B_next). */
export function multiScaleBound(levelProducts: readonly number[]): number;
export function multiScaleBound(levelProducts: readonly Bound[]): Bound;
export function multiScaleBound(levelProducts: readonly Bound[]): Bound {
  let b: Bound = 1;
  for (let i = levelProducts.length - 1; i >= 0; i--) {
    const last = i === levelProducts.length - 1;
    b = mulBound(levelProducts[i]!, last ? 1 : atLeastOne(b));
  }
  return b;
}

/** One level's steps' bounds, in step order. */
export interface LevelStepBounds {
  forward: readonly number[];
  inverse: readonly number[];
}

/** From the steps' weight-based bounds, level by level (what MultiScaleFlow.lipschitzBounds() returns). */
export function multiScaleFromWeights(levels: readonly LevelStepBounds[]): WeightBounds {
  const products = (dir: 'forward' | 'inverse'): number[] =>
    levels.map((l) => l[dir].reduce((acc, b) => acc * b, 1));
  return { forward: multiScaleBound(products('forward')), inverse: multiScaleBound(products('inverse')) };
}

/** From each level's static bounds (each the product over its steps), for the static calculus. */
export function multiScaleStatic(levels: readonly { forward: Bound; inverse: Bound }[]): StaticBounds {
  const forward = multiScaleBound(levels.map((l) => l.forward));
  const inverse = multiScaleBound(levels.map((l) => l.inverse));
  const list = (dir: 'forward' | 'inverse'): string => levels.map((l) => formatBound(l[dir])).join(', ');
  return {
    forward,
    inverse,
    source:
      levels.length === 1
        ? 'multi-scale flow with one level: the product over its steps'
        : `multi-scale flow, ${levels.length} levels: B_i = L_i max(1, B_next) (a factored-out half leaves unchanged), ` +
          `L forward [${list('forward')}], inverse [${list('inverse')}]`,
    notes: [],
  };
}
