/**
 * Specification of ReversibleBlock (core/src/layers/reversible-block.ts), the additive reversible block of RevNet
 * (Gomez et al. 2017) and i-RevNet (Jacobsen et al. 2018): with x = [x1 | x2] split on the last axis,
 *   y1 = x1 + F(x2),  y2 = x2 + G(y1);  inverse  x2 = y2 - G(y1),  x1 = y1 - F(x2).
 * F and G are MLPs of the coupling conditioner's form (core/src/specs/coupling-net.ts), so their defaults and
 * Lipschitz bounds are the conditioner's.
 *
 * The bound, in the Euclidean norm of the whole vector [x1 | x2]. Let a = Lip(F), b = Lip(G) and, for two inputs,
 * u = |x1 - x1'|, v = |x2 - x2'| (so |x - x'|^2 = u^2 + v^2). Then
 *   |y1 - y1'| <= |x1 - x1'| + |F(x2) - F(x2')| <= u + a v,
 *   |y2 - y2'| <= |x2 - x2'| + |G(y1) - G(y1')| <= v + b (u + a v),
 * so |y - y'| <= |M (u, v)| with M = [[1, a], [b, 1 + ab]] (each bound grows with u and v, and M has no negative
 * entry), hence |y - y'| <= sigma_max(M) |x - x'|. Inversely, with u = |y1 - y1'|, v = |y2 - y2'|:
 *   |x2 - x2'| <= v + b u,  |x1 - x1'| <= u + a (v + b u),
 * the matrix [[1 + ab, a], [b, 1]] = P M P (P swaps the two coordinates), which has the same singular values. So
 * both directions are bounded by sigma_max(M), globally, for every input. M has determinant 1, and for any 2x2
 * matrix (s1 +- s2)^2 = |M|_F^2 +- 2 |det M|, so sigma_max = (sqrt(T + 2) + sqrt(T - 2)) / 2 with
 * T = |M|_F^2 = 1 + a^2 + b^2 + (1 + ab)^2 >= 2. It is at most (1 + a)(1 + b), the product of the two additive
 * couplings' bounds (M = [[1, 0], [b, 1]] [[1, a], [0, 1]]), and attained when F and G are linear maps along one
 * direction each. The block is volume preserving: both half-steps have triangular Jacobians with identity
 * diagonal blocks, so log |det| = 0.
 */
import { type Bound, formatNumber } from '../bounds/bound';
import type { StaticBounds, WeightBounds } from './spec';

export interface ReversibleBlockOptions {
  /** Run the backward pass by rebuilding the block's input from its output (true) or by ordinary backprop. */
  memorySaving: boolean;
  /**
   * With memorySaving: also compute, in each backward pass, the gradients at the stored input, and record how far
   * the rebuilt ones are from them (lastGradientCheck()). Costs the input's memory and one more backward pass.
   */
  checkGradients: boolean;
}

export const REVERSIBLE_BLOCK_DEFAULTS: Readonly<ReversibleBlockOptions> = {
  memorySaving: true,
  checkGradients: false,
};

/** sigma_max([[1, a], [b, 1 + ab]]), the bound of both directions (see the file comment); Infinity past float. */
export function reversibleBlockLipschitz(lipF: number, lipG: number): number {
  const t = 1 + lipF * lipF + lipG * lipG + (1 + lipF * lipG) ** 2;
  if (!Number.isFinite(t)) return Infinity;
  return (Math.sqrt(t + 2) + Math.sqrt(Math.max(0, t - 2))) / 2;
}

/** From the weights: Lip(F) and Lip(G) bounded by their kernels' certified norms. */
export function reversibleBlockFromWeights(lipF: number, lipG: number): WeightBounds {
  const both = reversibleBlockLipschitz(lipF, lipG);
  return { forward: both, inverse: both };
}

const FORMULA = 'sigma_max([[1, a], [b, 1 + ab]]) both ways, a = Lip(F), b = Lip(G) (reversible block)';

/**
 * From the options: F and G are conditioners of the same options, so a = b = their bound when `conditionerNorm`
 * sets it (with how it was read); unknown otherwise (the weights decide).
 */
export function reversibleBlockStatic(branch?: { lip: number; source: string }): StaticBounds {
  if (branch === undefined) {
    return {
      forward: 'unknown',
      inverse: 'unknown',
      source: `${FORMULA}; Lip(F), Lip(G) depend on the weights (unconstrained: no conditionerNorm)`,
      notes: [],
    };
  }
  const both: Bound = reversibleBlockLipschitz(branch.lip, branch.lip);
  return {
    forward: both,
    inverse: both,
    source: `${FORMULA} with a = b <= ${formatNumber(branch.lip)}; ${branch.source}`,
    notes: [],
  };
}
