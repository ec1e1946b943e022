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

/** From the options alone: Lip(t) depends on the conditioner's weights. */
export function additiveCouplingStatic(): StaticBounds {
  return {
    forward: 'unknown',
    inverse: 'unknown',
    source: '1 + Lip(t) both ways; Lip(t) depends on the conditioner',
    notes: [],
  };
}

/** From the weights: the conditioner's Lipschitz bound. */
export function additiveCouplingFromWeights(lipShift: number): WeightBounds {
  const b = additiveCouplingBounds(lipShift);
  return { forward: b.forward as number, inverse: b.inverse as number };
}
