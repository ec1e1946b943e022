/**
 * Condition number sigma_max / sigma_min of the explicit Jacobian (small inputs only), and drift over
 * repeated forward-inverse round trips: errors that compound are what break memory-saving backprop.
 *
 * The singular values are computed in float64 from a float32 autodiff Jacobian; its rounding E moves each by at
 * most ||E||_2 (Weyl), bounded by 2 d u ||J||_F (the log-det probe's model: |E_ij| <= 2 d u |J_ij|), which gives
 * the condition number's bar. A sigma_min below that bound is indistinguishable from 0 in float32: upper end inf.
 */
import { figure, finiteOrNull } from '../report/schema';
import { singularValues } from '../linalg/matrix64';
import { explicitJacobian } from './jacobian';
import { flat, maxOrNaN, median, relativeRowError } from './measure';
import { emptyOutput, type Probe } from './probe';
import { flatMaps, pointSize, stopReason, type Tensor2D, yieldToEventLoop } from './target';

export const condition: Probe = {
  id: 'condition',
  title: 'Condition number and round-trip drift',
  needsInverse: false,
  async run({ target, data, settings }, ctx) {
    const { tf } = ctx;
    const out = emptyOutput();
    const maps = flatMaps(tf, target, ctx.passes);
    const x = flat(tf, data);
    const [n, d] = x.shape;
    const dOut = pointSize(maps.outputShape);
    if (Math.max(d, dOut) > settings.maxExplicitDim) {
      out.notes.push(
        `Explicit Jacobian skipped: ${Math.max(d, dOut)} numbers per point > ${settings.maxExplicitDim}.`,
      );
    } else {
      const rows: Array<Array<string | number | null>> = [];
      const conds: number[] = [];
      const lows: number[] = [];
      const highs: number[] = [];
      for (let i = 0; i < Math.min(n, settings.explicitPoints); i++) {
        if (stopReason(ctx) !== undefined) break;
        const point = x.slice([i, 0], [1, d]) as Tensor2D;
        const j = explicitJacobian(tf, maps.forward, point, dOut, ctx.passes);
        point.dispose();
        const sv = singularValues(j);
        const hi = sv[0]!;
        const lo = sv[sv.length - 1]!;
        const e = float32JacobianError(j.data, Math.max(d, dOut));
        const [condLo, condHi] = [(hi - e) / (lo + e), lo > e ? (hi + e) / (lo - e) : Infinity];
        conds.push(hi / lo);
        lows.push(condLo);
        highs.push(condHi);
        rows.push([
          i,
          finiteOrNull(hi),
          finiteOrNull(lo),
          finiteOrNull(hi / lo),
          finiteOrNull(condLo),
          finiteOrNull(condHi),
        ]);
        ctx.progress((i + 1) / (settings.explicitPoints + 1));
      }
      out.figures.push(
        figure('condition', 'Largest condition number of the Jacobian', maxOrNaN(conds)),
        figure('condition-lower', 'condition error bar (float32 Jacobian): lower end', maxOrNaN(lows)),
        figure('condition-upper', 'condition error bar (float32 Jacobian): upper end', maxOrNaN(highs)),
      );
      out.tables.push({
        id: 'points',
        title: 'Explicit Jacobian per point',
        columns: ['point', 'sigma_max', 'sigma_min', 'condition', 'condition_lo', 'condition_hi'],
        rows,
      });
    }
    if (maps.inverse !== undefined && settings.roundTrips > 0) {
      let cur = tf.clone(x);
      const maxes: Array<number | null> = [];
      const medians: Array<number | null> = [];
      const trips: number[] = [];
      for (let k = 1; k <= settings.roundTrips; k++) {
        if (stopReason(ctx) !== undefined) break;
        const next = tf.tidy(() => maps.inverse!(maps.forward(cur)));
        cur.dispose();
        cur = next;
        const err = relativeRowError(tf, cur, x);
        trips.push(k);
        maxes.push(finiteOrNull(maxOrNaN(err)));
        medians.push(finiteOrNull(median(err)));
        await yieldToEventLoop();
      }
      cur.dispose();
      const last = maxes[maxes.length - 1];
      out.figures.push(
        figure(
          'drift',
          `Relative drift after ${trips.length} round trips`,
          last === null || last === undefined ? NaN : last,
        ),
      );
      out.curves.push({
        id: 'drift',
        title: 'Drift over forward-inverse round trips',
        xLabel: 'round trips',
        yLabel: 'relative error to the start',
        logX: false,
        logY: true,
        x: trips,
        series: [
          { name: 'max', y: maxes },
          { name: 'median', y: medians },
        ],
      });
    }
    x.dispose();
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};

/** Bound on ||E||_2 for a float32 Jacobian: ||E||_F with |E_ij| <= 2 d u |J_ij|, u the float32 unit roundoff. */
function float32JacobianError(entries: ArrayLike<number>, d: number): number {
  let sum = 0;
  for (let i = 0; i < entries.length; i++) sum += entries[i]! ** 2;
  return 2 * d * 2 ** -24 * Math.sqrt(sum);
}
