/**
 * Specification of AdditiveCoupling (core/src/layers/additive-coupling.ts): y1 = x1, y2 = x2 + t(x1). The Jacobian
 * [[I, 0], [dt, I]] and its inverse [[I, 0], [-dt, I]] have norm <= 1 + Lip(t), globally, both ways (NICE).
 */
import { type Bound, formatBound, residualForward } from '../bounds/bound';
import type { StaticBounds, WeightBounds } from './spec';

/** 1 + Lip(t) both ways, for a known, unknown or unbounded Lip(t). */
export function additiveCouplingBounds(lipShift: Bound): StaticBounds {
  const both = residualForward(lipShift);
  return {
    forward: both,
    inverse: both,
    source: `1 + Lip(t) both ways with Lip(t)=${formatBound(lipShift)} (additive coupling)`,
    notes: [],
  };
}

/**
 * From the options alone: 1 + Lip(t) when the options bound the conditioner (`conditionerNorm`, see
 * constrainedConditionerLipschitz, with how that bound was read), else unknown: its weights decide.
 */
export function additiveCouplingStatic(conditioner?: { lip: number; source: string }): StaticBounds {
  if (conditioner !== undefined) {
    const b = additiveCouplingBounds(conditioner.lip);
    return { ...b, source: `${b.source}; ${conditioner.source}` };
  }
  return {
    forward: 'unknown',
    inverse: 'unknown',
    source: '1 + Lip(t) both ways; Lip(t) depends on the conditioner (unconstrained: no conditionerNorm)',
    notes: [],
  };
}

/** From the weights: the conditioner's Lipschitz bound. */
export function additiveCouplingFromWeights(lipShift: number): WeightBounds {
  const b = additiveCouplingBounds(lipShift);
  return { forward: b.forward as number, inverse: b.inverse as number };
}
