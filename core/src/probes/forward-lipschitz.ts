/**
 * Forward Lipschitz constant: the largest singular value of the Jacobian at the probe points, for the model
 * and each block, plus a pair search that bounds it from below without derivatives.
 */
import { figure, finiteOrNull } from '../report/schema';
import { blockInputs, blockSettings, flat, maxOrNaN, median, sigmaAt } from './measure';
import { pairSearch } from './pair-search';
import { emptyOutput, type Probe } from './probe';
import { blockMaps, flatMaps, pointSize, stopReason } from './target';

export const forwardLipschitz: Probe = {
  id: 'forward-lipschitz',
  title: 'Forward Lipschitz constant',
  needsInverse: false,
  async run({ target, data, settings }, ctx) {
    const { tf } = ctx;
    const out = emptyOutput();
    const maps = flatMaps(tf, target, ctx.passes);
    const x = flat(tf, data);
    ctx.progress(0, 'largest singular value of the Jacobian');
    const est = await sigmaAt(ctx, maps.forward, x, pointSize(maps.outputShape), settings);
    const sigma = maxOrNaN(est.sigmaMax);
    out.figures.push(
      figure('sigma-max', 'Largest Jacobian singular value over the points', sigma),
      // The largest over points lies between the largest lower and the largest upper end of the points' bars.
      figure('sigma-max-lower', 'sigma-max error bar: lower end', maxOrNaN(est.sigmaMaxLower)),
      figure('sigma-max-upper', 'sigma-max error bar: upper end', maxOrNaN(est.sigmaMaxUpper)),
      figure('sigma-median', 'Median over the points', median(est.sigmaMax)),
      figure('iterations', `${settings.method} iterations (max over points)`, Math.max(...est.iterations)),
      figure(
        'converged',
        `Fraction of points whose error bar is within ${settings.tol} of the estimate`,
        est.converged.filter(Boolean).length / est.converged.length,
      ),
      figure('products', 'Jacobian products (J v and J^T u, batched)', est.products),
    );
    out.tables.push({
      id: 'points',
      title: 'Per point',
      columns: ['point', 'sigma_max', 'iterations', 'converged', 'sigma_max_lo', 'sigma_max_hi'],
      rows: est.sigmaMax.map((s, i) => [
        i,
        finiteOrNull(s),
        est.iterations[i]!,
        String(est.converged[i]),
        finiteOrNull(est.sigmaMaxLower[i]!),
        finiteOrNull(est.sigmaMaxUpper[i]!),
      ]),
    });
    if (est.sigmaMax.some(Number.isNaN)) out.notes.push('The model produced NaN/Inf at some probe points.');

    if (target.blocks !== undefined && target.blocks.length > 0 && stopReason(ctx) === undefined) {
      const inputs = blockInputs(tf, target, data);
      const rows: Array<Array<string | number | null>> = [];
      for (const [k, block] of target.blocks.entries()) {
        if (stopReason(ctx) !== undefined) break;
        ctx.progress((k + 1) / (target.blocks.length + 2), `block ${block.name}`);
        const input = inputs[k]!;
        const bm = blockMaps(tf, block, input.shape.slice(1), ctx.passes);
        const bx = flat(tf, input);
        const be = await sigmaAt(ctx, bm.forward, bx, pointSize(bm.outputShape), blockSettings(settings));
        bx.dispose();
        rows.push([
          block.name,
          finiteOrNull(maxOrNaN(be.sigmaMax)),
          finiteOrNull(median(be.sigmaMax)),
          finiteOrNull(maxOrNaN(be.sigmaMaxLower)),
          finiteOrNull(maxOrNaN(be.sigmaMaxUpper)),
          be.converged.filter(Boolean).length / be.converged.length,
        ]);
      }
      inputs.forEach((t) => t.dispose());
      out.tables.push({
        id: 'blocks',
        title: `Per block (error bars to ${blockSettings(settings).tol})`,
        columns: ['block', 'sigma_max', 'median', 'sigma_max_lo', 'sigma_max_hi', 'converged'],
        rows,
      });
    }

    if (settings.pairSteps > 0 && stopReason(ctx) === undefined) {
      ctx.progress(0.9, 'pair search');
      // The pair search counts its own steps from 0: as the probe's last tenth, so its fraction only grows.
      const pairCtx = { ...ctx, progress: (f: number) => ctx.progress(0.9 + 0.1 * f, 'pair search') };
      const pairs = await pairSearch(pairCtx, maps, x, settings.pairSteps);
      out.figures.push(figure('pair-max', 'Largest |F(x)-F(y)|/|x-y| found', pairs.max));
      out.tables.push({
        id: 'pairs',
        title: `Pair search (${pairs.ratios.length} pairs, ${pairs.steps} steps): ratio quantiles`,
        columns: ['quantile', 'ratio'],
        rows: pairs.quantiles.map((q) => [q.q, finiteOrNull(q.value)]),
      });
      // Local estimates are a max over a few points; a pair beating them means the map varies a lot between them.
      if (Number.isFinite(pairs.max) && Number.isFinite(sigma) && pairs.max > 1.05 * sigma)
        out.notes.push(
          `A pair reached ratio ${pairs.max.toPrecision(3)} above the local estimate ${sigma.toPrecision(3)}: the Lipschitz constant away from the probe points is larger.`,
        );
    }
    x.dispose();
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
