/**
 * Specification of the spectrally normalised layers SpectralDense and SpectralConv2D (core/src/layers/spectral-*.ts)
 * and of the `spectralNorm()` constraint, as far as the static calculus uses it: the coefficient's default and
 * forward <= c. The inverse of such a map alone is not bounded by c (sigma_min depends on the weights).
 */
import { formatNumber } from '../bounds/bound';
import type { StaticBounds } from './spec';

/** Coefficient when none is given: plain normalisation to 1. */
export const SPECTRAL_DEFAULTS = { coeff: 1 } as const;

/** forward <= c, inverse unknown; `given` false when c is the default. */
export function spectralStatic(c: number, given: boolean, label: string): StaticBounds {
  const note = given ? '' : ' (default)';
  return {
    forward: c,
    inverse: 'unknown',
    source: `spectral norm coefficient c=${formatNumber(c)}${note} (${label})`,
    notes: [],
  };
}
