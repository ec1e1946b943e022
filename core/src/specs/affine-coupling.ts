/**
 * Specification of AffineCoupling (core/src/layers/affine-coupling.ts): y1 = x1, y2 = x2 * s(x1) + t(x1).
 *
 * The Jacobian's block dy2/dx1 = diag(x2) ds/dx1 + dt/dx1 grows without bound in |x2| whenever s depends on x1,
 * and so does the inverse's dx2/dy1 (with (y2 - t) d(1/s)/dy1). So no scale form is globally Lipschitz in either
 * direction (Behrmann et al. 2021): the global bound is unbounded. What a bounded scale does prove is the gain in
 * x2 for fixed x1: forward max s, inverse 1 / min s.
 */
import { type Bound, formatBound, formatNumber } from '../bounds/bound';
import { lowerTriangularNorm } from './input-domain';
import { type OptionError, oneOfError, type StaticBounds, type WeightBounds } from './spec';

/** How the conditioner output h is turned into the positive scale s. */
export type AffineScale = 'exp' | 'sigmoid' | 'bounded-tanh' | 'sigmoid-floor';

export const AFFINE_SCALES: readonly AffineScale[] = ['exp', 'sigmoid', 'bounded-tanh', 'sigmoid-floor'];

export interface AffineCouplingOptions {
  scale: AffineScale;
  /** M > 1 for 'bounded-tanh'. */
  scaleBound: number;
  /** eps in (0, 1) for 'sigmoid-floor'. */
  scaleFloor: number;
}

export const AFFINE_COUPLING_DEFAULTS: Readonly<AffineCouplingOptions> = {
  scale: 'bounded-tanh',
  scaleBound: 2,
  scaleFloor: 0.05,
};

/** The errors the layer's constructor throws, in its order; empty when the options are accepted. */
export function affineCouplingErrors(o: {
  scale: unknown;
  scaleBound: number;
  scaleFloor: number;
}): OptionError[] {
  const errors: OptionError[] = [];
  const scale = oneOfError('scale', AFFINE_SCALES, o.scale);
  if (scale) errors.push(scale);
  if (!(o.scaleBound > 1) || !Number.isFinite(o.scaleBound)) {
    errors.push(`scaleBound must be a finite number > 1, got ${o.scaleBound}`);
  }
  if (!(o.scaleFloor > 0 && o.scaleFloor < 1))
    errors.push(`scaleFloor must lie in (0, 1), got ${o.scaleFloor}`);
  return errors;
}

/** The closure of the range of s: [min, max]. */
export function affineScaleRange(o: AffineCouplingOptions): [number, number] {
  switch (o.scale) {
    case 'exp':
      return [0, Infinity];
    case 'sigmoid':
      return [0, 1];
    case 'bounded-tanh':
      return [1 / o.scaleBound, o.scaleBound];
    case 'sigmoid-floor':
      return [o.scaleFloor, 1];
  }
}

/** For fixed x1: the gain in x2, forward max s and inverse 1 / min s (Infinity where s is not bounded). */
export function affineX2Gains(o: AffineCouplingOptions): WeightBounds {
  const [lo, hi] = affineScaleRange(o);
  return { forward: hi, inverse: lo === 0 ? Infinity : 1 / lo };
}

/** How each scale form maps h to s, for bound sources. */
function scaleText(o: AffineCouplingOptions): string {
  switch (o.scale) {
    case 'exp':
      return 's = exp(h)';
    case 'sigmoid':
      return 's = sigmoid(h + 2)';
    case 'bounded-tanh':
      return `s = exp(log(M) tanh(h)), M=${formatNumber(o.scaleBound)}`;
    case 'sigmoid-floor':
      return `s = eps + (1-eps) sigmoid(h + 2), eps=${formatNumber(o.scaleFloor)}`;
  }
}

/** The reason every affine coupling is globally unbounded, for bound sources. */
export const AFFINE_UNBOUNDED_REASON =
  'not globally Lipschitz in either direction: dy2/dx1 contains x2 · ds/dx1, which grows with |x2|';

/** The note stating the per-x2 gains, "for fixed x1: gain in x2 <= M" (or "gain in x2 unbounded"). */
export function x2GainsNote(gains: { forward: Bound; inverse: Bound }): string {
  const gain = (b: Bound): string => (typeof b === 'number' ? `<= ${formatBound(b)}` : b);
  return `for fixed x1: gain in x2 ${gain(gains.forward)}, inverse gain in x2 ${gain(gains.inverse)} (not a Lipschitz constant of the map)`;
}

const finite = (x: number): Bound => (Number.isFinite(x) ? x : 'unbounded');

/** The static (global) bound from the options: unbounded both ways, with the x2 gains as a separate figure. */
export function affineCouplingStatic(o: AffineCouplingOptions): StaticBounds {
  const g = affineX2Gains(o);
  const x2Gains = { forward: finite(g.forward), inverse: finite(g.inverse) };
  return {
    forward: 'unbounded',
    inverse: 'unbounded',
    source: `affine coupling with ${scaleText(o)}: ${AFFINE_UNBOUNDED_REASON}`,
    notes: [x2GainsNote(x2Gains)],
    x2Gains,
  };
}

/**
 * From the weights: the conditioner's Lipschitz bounds on its scale outputs (lipScale) and shift outputs
 * (lipShift). Infinity while s depends on x1; when lipScale is 0 (s constant, e.g. right after zero init) the
 * Jacobian is [[I, 0], [dt, S]] with S diagonal in the scale range, so forward <= max(1, max s) + Lip(t) and
 * inverse <= max(1, 1 / min s) + Lip(t) / min s.
 */
export function affineCouplingFromWeights(
  o: AffineCouplingOptions,
  lipScale: number,
  lipShift: number,
): WeightBounds {
  if (lipScale > 0) return { forward: Infinity, inverse: Infinity };
  const [lo, hi] = affineScaleRange(o);
  return {
    forward: Math.max(1, hi) + lipShift,
    inverse: lo === 0 ? Infinity : Math.max(1, 1 / lo) + lipShift / lo,
  };
}

/** s as a function of the conditioner output h: increasing in h for every form. */
function scaleOf(o: AffineCouplingOptions, h: number): number {
  const sig = (z: number): number => 1 / (1 + Math.exp(-z));
  switch (o.scale) {
    case 'exp':
      return Math.exp(h);
    case 'sigmoid':
      return sig(h + 2);
    case 'bounded-tanh':
      return Math.exp(Math.log(o.scaleBound) * Math.tanh(h));
    case 'sigmoid-floor':
      return o.scaleFloor + (1 - o.scaleFloor) * sig(h + 2);
  }
}

/**
 * ds/dh, and where it peaks: every form's slope rises to one peak and falls after it (exp's peak is at +inf), so
 * its supremum over an interval of h is at the peak clamped into the interval.
 */
function slopeOf(o: AffineCouplingOptions, h: number): number {
  const dsig = (z: number): number => {
    const e = Math.exp(-Math.abs(z));
    return e / (1 + e) ** 2;
  };
  switch (o.scale) {
    case 'exp':
      return Math.exp(h);
    case 'sigmoid':
      return dsig(h + 2);
    case 'bounded-tanh': {
      const a = Math.log(o.scaleBound);
      const u = Math.tanh(h);
      return a * Math.exp(a * u) * (1 - u * u);
    }
    case 'sigmoid-floor':
      return (1 - o.scaleFloor) * dsig(h + 2);
  }
}

function slopePeak(o: AffineCouplingOptions): number {
  switch (o.scale) {
    case 'exp':
      return Infinity;
    case 'sigmoid':
    case 'sigmoid-floor':
      return -2;
    case 'bounded-tanh': {
      // d/du [a e^{au} (1 - u^2)] = 0 at a u^2 + 2u - a = 0.
      const a = Math.log(o.scaleBound);
      return Math.atanh((Math.sqrt(1 + a * a) - 1) / a);
    }
  }
}

/** The range of s and the supremum of ds/dh while h stays in [hLo, hHi] (infinite ends allowed). */
export function scaleOnInterval(
  o: AffineCouplingOptions,
  hLo: number,
  hHi: number,
): { lo: number; hi: number; slope: number } {
  const [formLo, formHi] = affineScaleRange(o);
  const lo = hLo === -Infinity ? formLo : scaleOf(o, hLo);
  const hi = hHi === Infinity ? formHi : scaleOf(o, hHi);
  const at = Math.min(Math.max(slopePeak(o), hLo), hHi);
  const slope = Number.isFinite(at) ? slopeOf(o, at) : Infinity;
  return { lo, hi, slope };
}

/**
 * Bounds on a bounded input domain, for every pair x, x' in it. With a = |x1 - x1'| and b = |x2 - x2'|:
 * y2 - y2' = s(x1)(x2 - x2') + x2' (s(x1) - s(x1')) + t(x1) - t(x1'), so |y2 - y2'| <= hi b + K a with
 * K = x2Max slope Lip(h) + Lip(t) (|x2'|_inf <= x2Max, and |s_i(x1) - s_i(x1')| <= slope |h_i(x1) - h_i(x1')|
 * while h stays in the interval the slope was taken over); inversely x2 - x2' = (y2 - y2' - (t - t') - x2'(s - s'))
 * / s(x1), so |x2 - x2'| <= (|y2 - y2'| + K a) / lo. Both are 2x2 lower-triangular norms. Infinity where s is
 * not bounded away from 0 (inverse) or its slope is not bounded on the interval.
 */
export function affineCouplingOnDomain(
  o: AffineCouplingOptions,
  x2Max: number,
  lipScale: number,
  lipShift: number,
  hRange: [number, number] = [-Infinity, Infinity],
): WeightBounds {
  const { lo, hi, slope } = scaleOnInterval(o, hRange[0], hRange[1]);
  // A constant scale (lipScale 0) contributes nothing, whatever its slope.
  const k = (lipScale === 0 ? 0 : x2Max * slope * lipScale) + lipShift;
  return {
    forward: lowerTriangularNorm(1, k, hi),
    inverse: lo > 0 ? lowerTriangularNorm(1, k / lo, 1 / lo) : Infinity,
  };
}
