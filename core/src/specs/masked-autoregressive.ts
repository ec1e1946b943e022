/**
 * Specification of MaskedAutoregressive (core/src/layers/masked-autoregressive.ts), the affine autoregressive
 * transform of MAF (Papamakarios et al. 2017) with a MADE conditioner (Germain et al. 2015):
 *   y_i = x_i s_i(x_<i) + t_i(x_<i),  log |det| = sum_i log s_i(x_<i),
 * s from the conditioner output h by one of the affine coupling's bounded scale forms
 * (core/src/specs/affine-coupling.ts). The forward pass is one masked pass; the inverse
 * x_i = (y_i - t_i(x_<i)) / s_i(x_<i) takes d passes, since x_i needs x_<i first.
 *
 * Bounds. As for an affine coupling, dy_i/dx_j = x_i ds_i/dx_j + dt_i/dx_j (j < i) grows without bound in |x_i|
 * whenever s depends on x, so no scale form makes the map globally Lipschitz in either direction; what a bounded
 * scale proves is the gain in x_i for fixed x_<i: forward max s, inverse 1 / min s. When the scale outputs are
 * constant (Lip(h) = 0, e.g. right after zero init), for two inputs t(x) - t(x') = N (x - x') with N the mean of
 * the Jacobian of t along the segment (t is Lipschitz, so differentiable almost everywhere on almost every
 * segment), strictly lower triangular with |N| <= T = Lip(t). So y - y' = (S + N)(x - x') with S = diag(s):
 * forward |S + N| <= max s + T; inverse (S + N)^-1 = sum_{k<d} (-S^-1 N)^k S^-1 (S^-1 N is nilpotent), so
 * |(S + N)^-1| <= (1 / min s) sum_{k<d} (T / min s)^k.
 */
import { formatNumber } from '../bounds/bound';
import { type AffineCouplingOptions, affineScaleRange, affineX2Gains } from './affine-coupling';
import type { StaticBounds, WeightBounds } from './spec';

/**
 * MADE masks for an MLP on d inputs with `hiddenLayers` layers of `hidden` units and 2d outputs (h_1..h_d, then
 * t_1..t_d), row-major [rows, cols] per kernel, 1 where a weight is kept. Input j has degree j + 1, hidden unit k
 * degree (k mod max(1, d - 1)) + 1, output j degree (j mod d) + 1; a hidden unit sees inputs of degree <= its own,
 * an output only units of smaller degree, so output i depends on x_<i alone.
 */
export function madeMasks(d: number, hidden: number, hiddenLayers: number): Float32Array[] {
  const inputDegrees = Array.from({ length: d }, (_, j) => j + 1);
  const hiddenDegrees = Array.from({ length: hidden }, (_, k) => (k % Math.max(1, d - 1)) + 1);
  const outputDegrees = Array.from({ length: 2 * d }, (_, j) => (j % d) + 1);
  const layers = [inputDegrees, ...Array<number[]>(hiddenLayers).fill(hiddenDegrees), outputDegrees];
  return layers.slice(1).map((out, i) => {
    const into = layers[i]!;
    const last = i + 2 === layers.length;
    const mask = new Float32Array(into.length * out.length);
    into.forEach((a, r) =>
      out.forEach((b, c) => {
        mask[r * out.length + c] = (last ? b > a : b >= a) ? 1 : 0;
      }),
    );
    return mask;
  });
}

/** The note stating the per-coordinate gains of the scale form (not Lipschitz constants of the map). */
function gainsNote(o: AffineCouplingOptions): string {
  const g = affineX2Gains(o);
  const f = (x: number): string => (Number.isFinite(x) ? formatNumber(x) : 'unbounded');
  return `for fixed x_<i: gain in x_i <= ${f(g.forward)}, inverse gain in x_i <= ${f(g.inverse)} (not a Lipschitz constant of the map)`;
}

/** Why no bound is finite globally, for bound sources. */
export const MASKED_AUTOREGRESSIVE_UNBOUNDED_REASON =
  'not globally Lipschitz in either direction: dy_i/dx_j contains x_i · ds_i/dx_j, which grows with |x_i|';

/** The static bound from the options: unbounded both ways (see the file comment), the gains as a note. */
export function maskedAutoregressiveStatic(o: AffineCouplingOptions): StaticBounds {
  return {
    forward: 'unbounded',
    inverse: 'unbounded',
    source: `masked autoregressive transform (scale '${o.scale}'): ${MASKED_AUTOREGRESSIVE_UNBOUNDED_REASON}`,
    notes: [gainsNote(o)],
  };
}

/**
 * From the weights, Lip(h) and Lip(t) of the conditioner's scale and shift outputs on d inputs: Infinity while
 * s depends on x; with s constant, max s + Lip(t) forward and (1 / min s) sum_{k<d} (Lip(t) / min s)^k inverse.
 */
export function maskedAutoregressiveFromWeights(
  o: AffineCouplingOptions,
  lipScale: number,
  lipShift: number,
  d: number,
): WeightBounds {
  if (lipScale > 0) return { forward: Infinity, inverse: Infinity };
  const [lo, hi] = affineScaleRange(o);
  if (lo === 0) return { forward: hi + lipShift, inverse: Infinity };
  const r = lipShift / lo;
  let series = 0;
  for (let k = 0; k < d; k++) series += r ** k;
  return { forward: hi + lipShift, inverse: series / lo };
}
