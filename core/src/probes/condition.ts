/**
 * Condition number sigma_max / sigma_min of the explicit Jacobian (small inputs only), and drift over
 * repeated forward-inverse round trips: errors that compound are what break memory-saving backprop.
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
      for (let i = 0; i < Math.min(n, settings.explicitPoints); i++) {
        if (stopReason(ctx) !== undefined) break;
        const point = x.slice([i, 0], [1, d]) as Tensor2D;
        const sv = singularValues(explicitJacobian(tf, maps.forward, point, dOut, ctx.passes));
        point.dispose();
        const hi = sv[0]!;
        const lo = sv[sv.length - 1]!;
        conds.push(hi / lo);
        rows.push([i, finiteOrNull(hi), finiteOrNull(lo), finiteOrNull(hi / lo)]);
        ctx.progress((i + 1) / (settings.explicitPoints + 1));
      }
      out.figures.push(figure('condition', 'Largest condition number of the Jacobian', maxOrNaN(conds)));
      out.tables.push({
        id: 'points',
        title: 'Explicit Jacobian per point',
        columns: ['point', 'sigma_max', 'sigma_min', 'condition'],
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
