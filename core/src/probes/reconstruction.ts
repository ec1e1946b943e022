/**
 * Reconstruction error |F^-1(F(x)) - x| / |x| on the data and on out-of-distribution inputs: the data scaled
 * up, uniform noise and structured noise (sinusoids plus offsets, like flat or striped images) over a sweep
 * of scales. Exploding inverses show as an error that grows with the scale (Behrmann et al. 2021, Fig. 1).
 */
import { AT_DATA, IN_DATA_RANGE } from '../report/fixed-point';
import { figure, finiteOrNull, type CurveSeries } from '../report/schema';
import { countNaN, flat, maxOrNaN, median, relativeRowError } from './measure';
import { emptyOutput, type Probe } from './probe';
import type { Rng } from './rng';
import { flatMaps, stopReason, type FlatMaps, type Tensor2D, type Tf, yieldToEventLoop } from './target';

/** The data scaled, or noise at the data's RMS times the scale; the data at scale 1 is AT_DATA. */
export type InputKind = typeof AT_DATA.kind | 'uniform' | 'structured';
export const INPUT_KINDS: readonly InputKind[] = [AT_DATA.kind, 'uniform', 'structured'];

/** Rows of the given kind at `scale` times the data's RMS. */
export function sweepInputs(
  tf: Tf,
  rng: Rng,
  x: Tensor2D,
  kind: InputKind,
  scale: number,
  rms: number,
): Tensor2D {
  const [n, d] = x.shape;
  if (kind === AT_DATA.kind) return tf.mul(x, scale) as Tensor2D;
  const s = scale * rms;
  if (kind === 'uniform')
    return tf.tensor2d(rng.uniforms(n * d, -Math.sqrt(3) * s, Math.sqrt(3) * s), [n, d]);
  const values = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const freq = Math.floor(rng.next() * 4);
    const phase = 2 * Math.PI * rng.next();
    const offset = rng.next() < 0.5 ? -1 : 1;
    for (let j = 0; j < d; j++)
      values[i * d + j] = s * (Math.sin((2 * Math.PI * freq * j) / d + phase) + offset);
  }
  return tf.tensor2d(values, [n, d]);
}

/** Per coordinate, the smallest and largest value over the rows of x: the data's range. */
export interface DataBox {
  lo: Float32Array;
  hi: Float32Array;
}

export function dataBox(tf: Tf, x: Tensor2D): DataBox {
  const [lo, hi] = tf.tidy(() => [tf.min(x, 0).dataSync(), tf.max(x, 0).dataSync()]);
  return { lo: Float32Array.from(lo!), hi: Float32Array.from(hi!) };
}

/** Which rows of `values` ([rows, d], row-major) lie inside the box, every coordinate within [lo, hi]. */
export function rowsInside(box: DataBox, values: ArrayLike<number>): boolean[] {
  const d = box.lo.length;
  const rows = values.length / d;
  return Array.from({ length: rows }, (_, i) => {
    for (let j = 0; j < d; j++) {
      const v = values[i * d + j]!;
      if (!(v >= box.lo[j]! && v <= box.hi[j]!)) return false;
    }
    return true;
  });
}

/**
 * Inputs inside the data's range that are not the data: n rows uniform in the box (off the data's manifold, where
 * a trained flow's conditioner may never have been), then n points on segments between two data rows.
 */
export function inRangeInputs(tf: Tf, rng: Rng, x: Tensor2D, box: DataBox): Tensor2D {
  const [n, d] = x.shape;
  const rows = x.dataSync();
  const values = new Float32Array(2 * n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) values[i * d + j] = box.lo[j]! + rng.next() * (box.hi[j]! - box.lo[j]!);
  for (let i = 0; i < n; i++) {
    const a = Math.floor(rng.next() * n);
    const b = Math.floor(rng.next() * n);
    const t = rng.next();
    for (let j = 0; j < d; j++) {
      const v = rows[a * d + j]! + t * (rows[b * d + j]! - rows[a * d + j]!);
      // Rounding must not carry a point out of the range it is meant to be in.
      values[(n + i) * d + j] = Math.min(box.hi[j]!, Math.max(box.lo[j]!, v));
    }
  }
  return tf.tensor2d(values, [2 * n, d]);
}

/** Relative reconstruction error per row of x. */
export function roundTripError(tf: Tf, maps: FlatMaps, x: Tensor2D): number[] {
  const back = tf.tidy(() => maps.inverse!(maps.forward(x)));
  const err = relativeRowError(tf, back, x);
  back.dispose();
  return err;
}

export const reconstruction: Probe = {
  id: 'reconstruction',
  title: 'Reconstruction error',
  needsInverse: true,
  async run({ target, data, settings }, ctx) {
    const { tf } = ctx;
    const out = emptyOutput();
    const maps = flatMaps(tf, target, ctx.passes);
    const x = flat(tf, data);
    const threshold = settings.reconstructionThreshold;
    const onData = ctx.at(AT_DATA, () => roundTripError(tf, maps, x));
    const dataMax = maxOrNaN(onData);
    out.figures.push(
      figure('data-max', 'Largest relative reconstruction error on the data', dataMax),
      figure('data-median', 'Median on the data', median(onData)),
      figure('threshold', 'Threshold for "numerically non-invertible"', threshold),
    );
    // Inside the data's range a failure is an error like one on the data (report/findings.ts): the sweep's
    // inputs that happen to fall inside count too.
    const box = dataBox(tf, x);
    const inRange = tf.tidy(() => inRangeInputs(tf, ctx.rng, x, box));
    const inRangeErrors = ctx.at(IN_DATA_RANGE, () => roundTripError(tf, maps, inRange));
    inRange.dispose();
    const rms = Math.max(1e-3, tf.tidy(() => tf.sqrt(tf.mean(tf.square(x)))).dataSync()[0] ?? 1);
    const series: CurveSeries[] = INPUT_KINDS.map((k) => ({ name: k, y: [] }));
    const rows: Array<Array<string | number | null>> = [];
    let firstFailing = Infinity;
    let oodMax = -Infinity;
    const scales: number[] = [];
    for (const [si, scale] of settings.scales.entries()) {
      if (stopReason(ctx) !== undefined) break;
      scales.push(scale);
      for (const [ki, kind] of INPUT_KINDS.entries()) {
        const xs = tf.tidy(() => sweepInputs(tf, ctx.rng, x, kind, scale, rms));
        const err = ctx.at({ kind, scale }, () => roundTripError(tf, maps, xs));
        const inside = rowsInside(box, xs.dataSync());
        xs.dispose();
        inside.forEach((isInside, i) => {
          if (isInside) inRangeErrors.push(err[i]!);
        });
        const worst = maxOrNaN(err);
        series[ki]!.y.push(finiteOrNull(worst));
        rows.push([kind, scale, finiteOrNull(median(err)), finiteOrNull(worst), countNaN(err)]);
        if (!(worst <= threshold)) firstFailing = Math.min(firstFailing, scale);
        oodMax = Number.isNaN(worst) || Number.isNaN(oodMax) ? NaN : Math.max(oodMax, worst);
      }
      ctx.progress((si + 1) / settings.scales.length, `scale ${scale}`);
      await yieldToEventLoop();
    }
    x.dispose();
    const inRangeMax = maxOrNaN(inRangeErrors);
    out.figures.push(
      figure(
        'in-range-max',
        "Largest relative error on inputs inside the data's range (uniform in its per-coordinate [min, max], between two data points, and sweep inputs that fall inside)",
        inRangeMax,
      ),
      figure('in-range-count', "Inputs inside the data's range", inRangeErrors.length),
      figure('ood-max', 'Largest relative error over the sweep (NaN if any input broke the model)', oodMax),
    );
    const failingLabel = 'Smallest input scale whose error crosses the threshold';
    // A null value without `nonFinite` means no scale of the sweep crossed the threshold.
    out.figures.push(
      Number.isFinite(firstFailing)
        ? figure('first-failing-scale', failingLabel, firstFailing)
        : { id: 'first-failing-scale', label: failingLabel, value: null },
    );
    out.curves.push({
      id: 'error-vs-scale',
      title: 'Reconstruction error vs input scale',
      xLabel: 'input scale (x data RMS)',
      yLabel: 'max relative error',
      logX: true,
      logY: true,
      x: scales,
      series,
    });
    out.tables.push({
      id: 'sweep',
      title: 'Sweep',
      columns: ['input', 'scale', 'median_error', 'max_error', 'nan_rows'],
      rows,
    });
    out.notes.push(
      dataMax <= threshold
        ? `Invertible on the data: error ${dataMax.toExponential(2)} <= ${threshold}.`
        : `Numerically non-invertible on the data: error ${Number.isNaN(dataMax) ? 'NaN' : dataMax.toExponential(2)} > ${threshold}.`,
    );
    if (!(inRangeMax <= threshold))
      out.notes.push(
        `Numerically non-invertible inside the data's range: error ${Number.isNaN(inRangeMax) ? 'NaN' : inRangeMax.toExponential(2)} > ${threshold}.`,
      );
    if (Number.isFinite(firstFailing))
      out.notes.push(`Numerically non-invertible out of distribution from input scale ${firstFailing}.`);
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
