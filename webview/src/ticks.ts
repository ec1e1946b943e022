/** Where the charts put ticks and how they write numbers: pure functions of the scale, tested without a DOM. */

/** Tick labels that stay readable over decades: 1e-4 rather than uPlot's rounded 0. */
export function tickLabel(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-2 || a >= 1e4) ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

/** 10^k without the rounding error of 10 ** k for negative k (10 ** -3 is 0.0010000000000000002). */
function decade(k: number): number {
  return Number(`1e${k}`);
}

/**
 * Splits of a log-10 axis over [min, max], at most `most` of them (at least two where the range allows): the
 * decades when three or more fall in the range, every n-th decade when they are too many to label; over a
 * narrower range 1, 2 and 5 times the decades, else every integer multiple, thinned to `most`. Grid lines go only where
 * labels do, so a log axis is not crowded with uPlot's nine minor lines per decade.
 */
export function logSplits(min: number, max: number, most: number): number[] {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) return [];
  const limit = Math.max(2, Math.floor(most));
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  if (hi - lo + 1 >= 3) {
    const step = Math.ceil((hi - lo + 1) / limit);
    const out: number[] = [];
    for (let k = Math.ceil(lo / step) * step; k <= hi; k += step) out.push(decade(k));
    return out.length >= 2 ? out : [decade(lo), decade(hi)];
  }
  const within = (mantissas: number[]): number[] => {
    const out: number[] = [];
    for (let k = lo - 1; k <= hi; k++)
      for (const m of mantissas) {
        const v = m * decade(k);
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
      }
    return out;
  };
  const nice = within([1, 2, 5]);
  const pick = nice.length >= 2 ? nice : within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Less than a factor of two wide: the ends are the only readable labels.
  if (pick.length < 2) return [min, max];
  if (pick.length <= limit) return pick;
  const n = Math.ceil(pick.length / limit);
  return pick.filter((_, i) => i % n === 0);
}
