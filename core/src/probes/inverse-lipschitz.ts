/**
 * Inverse Lipschitz constant, for the model and per block, so the report can name the block whose inverse
 * explodes. Where a block has an inverse, the largest singular value of the inverse's Jacobian at F(x);
 * where it has none, 1 / (smallest singular value of the forward Jacobian) from Lanczos.
 */
import { figure, finiteOrNull } from '../report/schema';
import { blockInputs, blockSettings, flat, maxOrNaN, median, sigmaAt } from './measure';
import { emptyOutput, type Probe, type ProbeSettings } from './probe';
import type { SpectralEstimate } from './spectral';
import {
  blockMaps,
  flatMaps,
  pointSize,
  stopReason,
  type FlatMaps,
  type ProbeContext,
  type Tensor,
} from './target';

interface InverseEstimate {
  perPoint: number[];
  /** Per point: the error bar of perPoint, from the spectral estimate's. */
  lower: number[];
  upper: number[];
  converged: boolean[];
  method: 'inverse Jacobian' | '1 / sigma_min' | 'not injective';
  products: number;
}

async function inverseAt(
  ctx: ProbeContext,
  maps: FlatMaps,
  input: Tensor,
  output: Tensor,
  settings: ProbeSettings,
): Promise<InverseEstimate> {
  const { tf } = ctx;
  let est: SpectralEstimate;
  let perPoint: number[];
  if (maps.inverse !== undefined) {
    const y = flat(tf, output);
    est = await sigmaAt(ctx, maps.inverse, y, maps.dIn, settings);
    y.dispose();
    perPoint = est.sigmaMax;
    return {
      perPoint,
      lower: est.sigmaMaxLower,
      upper: est.sigmaMaxUpper,
      converged: est.converged,
      method: 'inverse Jacobian',
      products: est.products,
    };
  }
  const dOut = pointSize(maps.outputShape);
  if (dOut < maps.dIn) {
    // A map into fewer dimensions has a null space: no inverse exists, whatever Lanczos would report.
    const inf = new Array<number>(input.shape[0] ?? 1).fill(Infinity);
    return {
      perPoint: inf,
      lower: inf,
      upper: inf,
      converged: inf.map(() => true),
      method: 'not injective',
      products: 0,
    };
  }
  const x = flat(tf, input);
  est = await sigmaAt(ctx, maps.forward, x, dOut, settings, true);
  x.dispose();
  // A zero smallest singular value is an infinite inverse constant: that is the finding, not an error.
  const reciprocal = (s: number): number => (Number.isNaN(s) ? NaN : 1 / s);
  perPoint = est.sigmaMin.map(reciprocal);
  return {
    perPoint,
    lower: est.sigmaMinUpper.map(reciprocal),
    upper: est.sigmaMinLower.map(reciprocal),
    converged: est.converged,
    method: '1 / sigma_min',
    products: est.products,
  };
}

export const inverseLipschitz: Probe = {
  id: 'inverse-lipschitz',
  title: 'Inverse Lipschitz constant',
  needsInverse: false,
  async run({ target, data, settings }, ctx) {
    const { tf } = ctx;
    const out = emptyOutput();
    const maps = flatMaps(tf, target, ctx.passes);
    const y = tf.tidy(() => target.forward(data));
    const whole = await inverseAt(ctx, maps, data, y, settings);
    y.dispose();
    const worst = maxOrNaN(whole.perPoint);
    out.figures.push(
      figure('inverse-lipschitz', `Inverse Lipschitz constant at the points (${whole.method})`, worst),
      figure('inverse-lipschitz-lower', 'inverse-lipschitz error bar: lower end', maxOrNaN(whole.lower)),
      figure('inverse-lipschitz-upper', 'inverse-lipschitz error bar: upper end', maxOrNaN(whole.upper)),
      figure(
        'converged',
        `Fraction of points whose error bar is within ${settings.tol} of the estimate`,
        whole.converged.filter(Boolean).length / whole.converged.length,
      ),
      figure('inverse-median', 'Median over the points', median(whole.perPoint)),
      figure('products', 'Jacobian products for the whole model', whole.products),
    );
    if (whole.method === '1 / sigma_min')
      out.notes.push('No inverse is defined: the inverse constant is 1 / sigma_min of the forward Jacobian.');
    if (whole.method === 'not injective')
      out.notes.push(
        `The model maps ${maps.dIn} dimensions to ${pointSize(maps.outputShape)}: it is not injective, so no inverse exists.`,
      );

    if (target.blocks !== undefined && target.blocks.length > 0) {
      const inputs = blockInputs(tf, target, data);
      const rows: Array<Array<string | number | null>> = [];
      for (const [k, block] of target.blocks.entries()) {
        if (stopReason(ctx) !== undefined) break;
        ctx.progress((k + 1) / (target.blocks.length + 1), `block ${block.name}`);
        const bm = blockMaps(tf, block, inputs[k]!.shape.slice(1), ctx.passes);
        const be = await inverseAt(ctx, bm, inputs[k]!, inputs[k + 1]!, blockSettings(settings));
        rows.push([
          block.name,
          be.method,
          finiteOrNull(maxOrNaN(be.perPoint)),
          finiteOrNull(median(be.perPoint)),
          finiteOrNull(maxOrNaN(be.lower)),
          finiteOrNull(maxOrNaN(be.upper)),
        ]);
      }
      inputs.forEach((t) => t.dispose());
      out.tables.push({
        id: 'blocks',
        title: `Per block (error bars to ${blockSettings(settings).tol})`,
        columns: [
          'block',
          'method',
          'inverse_lipschitz',
          'median',
          'inverse_lipschitz_lo',
          'inverse_lipschitz_hi',
        ],
        rows,
      });
      // Name the exploding block: the largest per-block constant (NaN counts as the worst).
      const ranked = rows
        .map((r) => ({ name: String(r[0]), v: r[2] === null ? Infinity : Number(r[2]) }))
        .sort((a, b) => b.v - a.v);
      if (ranked[0] !== undefined) out.notes.push(`Largest inverse constant: block ${ranked[0].name}.`);
    }
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
