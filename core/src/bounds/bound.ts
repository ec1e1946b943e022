/**
 * Upper bounds on Lipschitz constants and their arithmetic. A bound is a number, `'unbounded'` (no finite bound
 * exists for any weights) or `'unknown'` (finite for given weights, but not known statically).
 */

export type Bound = number | 'unbounded' | 'unknown';

/** Bounds for one IR node (layer, op, block) or model, in both directions. */
export interface NodeBounds {
  forward: Bound;
  inverse: Bound;
  /** How both bounds were derived, e.g. "1 + L / 1/(1-L) with L=0.81 (i-ResNet)". */
  source: string;
  /** Caveats that qualify the numbers, e.g. that an affine coupling is not globally bi-Lipschitz. */
  notes: string[];
  /**
   * For affine transforms (y2 = x2 * s(x1) + t(x1)): for fixed x1, the gain in x2, forward max s and inverse
   * 1 / min s. A separate figure, not a Lipschitz constant of the map (which is unbounded).
   */
  x2Gains?: { forward: Bound; inverse: Bound };
  /**
   * Bounds for every pair of inputs in the model's declared input domain (JSDoc `@inputDomain`), for maps whose
   * global bound is not finite: `domain` describes the set, `source` how the figures were derived.
   */
  onDomain?: { domain: string; forward: Bound; inverse: Bound; source: string };
}

/** Products: an unbounded factor dominates (the other factors are positive), then an unknown one. */
export function mulBound(a: Bound, b: Bound): Bound {
  if (a === 'unbounded' || b === 'unbounded') return 'unbounded';
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  return a * b;
}

export function productOf(bounds: readonly Bound[]): Bound {
  return bounds.reduce<Bound>((acc, b) => mulBound(acc, b), 1);
}

/** x + g(x) has forward Lipschitz constant at most 1 + Lip(g). */
export function residualForward(l: Bound): Bound {
  return typeof l === 'number' ? 1 + l : l;
}

/**
 * Behrmann et al. 2019/2021: Lip((I + g)^-1) <= 1/(1 - Lip(g)) when Lip(g) < 1. Otherwise unknown, never
 * unbounded: a bound of g that is >= 1 (or infinite) does not prove that the inverse has none (x + exp(x) has an
 * inverse of Lipschitz constant 1).
 */
export function residualInverse(l: Bound): Bound {
  return typeof l === 'number' && l < 1 ? 1 / (1 - l) : 'unknown';
}

/** Fixed-point iterations x <- y - g(x) needed to reach `tolerance` (contraction factor L per step). */
export function fixedPointIterations(l: number, tolerance: number): number | 'unbounded' {
  if (l >= 1) return 'unbounded';
  if (l <= 0) return 1;
  return Math.max(1, Math.ceil(Math.log(tolerance) / Math.log(l)));
}

/** Four significant digits, no trailing zeros: 1.81, 5.263, 0.0001. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

export function formatBound(b: Bound): string {
  return typeof b === 'number' ? formatNumber(b) : b;
}
