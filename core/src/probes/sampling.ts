/**
 * Sampling F^-1(z) for z ~ N(0, T^2) at several temperatures: generative flows are sampled through the
 * inverse, where an exploding inverse shows as NaN/Inf or huge samples.
 */
import { figure } from '../report/schema';
import { flat, maxOrNaN, rowMaxAbs } from './measure';
import { emptyOutput, type Probe } from './probe';
import { flatMaps, pointSize, stopReason, yieldToEventLoop } from './target';

export const sampling: Probe = {
  id: 'sampling',
  title: 'Sampling through the inverse',
  needsInverse: true,
  async run({ target, data, settings }, ctx) {
    const { tf, rng } = ctx;
    const out = emptyOutput();
    const maps = flatMaps(tf, target, ctx.passes);
    const x = flat(tf, data);
    const dataMax = maxOrNaN(rowMaxAbs(tf, x));
    x.dispose();
    const huge = settings.hugeFactor * Math.max(1, Number.isFinite(dataMax) ? dataMax : 1);
    const count = Math.max(16, data.shape[0]!);
    const dOut = pointSize(maps.outputShape);
    const nanRates: Array<number | null> = [];
    const hugeRates: Array<number | null> = [];
    const temps: number[] = [];
    for (const [i, t] of settings.temperatures.entries()) {
      if (stopReason(ctx) !== undefined) break;
      const z = tf.tensor2d(rng.normals(count * dOut, t), [count, dOut]);
      // Latents are the data's image only for a trained flow: their runs count as out of distribution.
      const xs = ctx.at({ kind: 'latent', scale: t }, () => tf.tidy(() => maps.inverse!(z)));
      z.dispose();
      const m = rowMaxAbs(tf, xs);
      xs.dispose();
      temps.push(t);
      nanRates.push(m.filter((v) => !Number.isFinite(v)).length / count);
      hugeRates.push(m.filter((v) => Number.isFinite(v) && v > huge).length / count);
      ctx.progress((i + 1) / settings.temperatures.length, `T = ${t}`);
      await yieldToEventLoop();
    }
    const maxRate = (r: Array<number | null>): number => Math.max(0, ...r.map((v) => v ?? 0));
    out.figures.push(
      figure('nonfinite-rate', 'Largest rate of NaN/Inf samples over the temperatures', maxRate(nanRates)),
      figure('huge-rate', `Largest rate of samples with |x| > ${huge.toPrecision(3)}`, maxRate(hugeRates)),
      figure('samples', 'Samples per temperature', count),
    );
    out.curves.push({
      id: 'rates-vs-temperature',
      title: 'Failed samples vs temperature',
      xLabel: 'temperature T (latent std)',
      yLabel: 'fraction of samples',
      logX: false,
      logY: false,
      x: temps,
      series: [
        { name: 'NaN/Inf', y: nanRates },
        { name: 'huge', y: hugeRates },
      ],
    });
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
