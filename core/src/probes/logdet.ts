/**
 * Log-determinant consistency: the model's own log |det J| against a brute-force one from the explicit
 * Jacobian (small inputs only), for the model and per block, so a wrong log-det names its block.
 */
import { figure, finiteOrNull } from '../report/schema';
import { logAbsDetOrNaN } from '../linalg/matrix64';
import { explicitJacobian } from './jacobian';
import { blockInputs, flat } from './measure';
import { emptyOutput, type Probe } from './probe';
import {
  flatMaps,
  pointSize,
  stopReason,
  type ProbeContext,
  type Tensor,
  type Tensor2D,
  yieldToEventLoop,
} from './target';

interface Check {
  name: string;
  forward(x: Tensor): Tensor;
  logDet(x: Tensor): Tensor;
  input: Tensor;
}

function compare(ctx: ProbeContext, check: Check, points: number): { claimed: number; brute: number }[] {
  const { tf } = ctx;
  const inShape = check.input.shape.slice(1);
  const maps = flatMaps(tf, { name: check.name, inputShape: inShape, forward: check.forward }, ctx.passes);
  const x = flat(tf, check.input);
  const [n, d] = x.shape;
  const res: { claimed: number; brute: number }[] = [];
  for (let i = 0; i < Math.min(points, n); i++) {
    const p = x.slice([i, 0], [1, d]) as Tensor2D;
    const brute = logAbsDetOrNaN(
      explicitJacobian(tf, maps.forward, p, pointSize(maps.outputShape), ctx.passes),
    );
    const claimedT = tf.tidy(() => tf.reshape(check.logDet(tf.reshape(p, [1, ...inShape])), [-1]));
    const claimed = claimedT.dataSync()[0] ?? NaN;
    claimedT.dispose();
    p.dispose();
    res.push({ claimed, brute });
  }
  x.dispose();
  return res;
}

export const logdet: Probe = {
  id: 'logdet',
  title: 'Log-determinant consistency',
  needsInverse: false,
  async run({ target, data, settings }, ctx) {
    const { tf } = ctx;
    const out = emptyOutput();
    const d = data.size / data.shape[0]!;
    if (d > settings.maxExplicitDim) {
      return {
        ...out,
        status: 'skipped',
        message: `inputs of ${d} numbers > maxExplicitDim ${settings.maxExplicitDim}`,
      };
    }
    const checks: Check[] = [];
    const inputs = target.blocks !== undefined ? blockInputs(tf, target, data) : [];
    if (target.logDet !== undefined)
      checks.push({
        name: '(model)',
        forward: (x) => target.forward(x),
        logDet: (x) => target.logDet!(x),
        input: data,
      });
    for (const [k, b] of (target.blocks ?? []).entries())
      if (b.logDet !== undefined)
        checks.push({
          name: b.name,
          forward: (x) => b.forward(x),
          logDet: (x) => b.logDet!(x),
          input: inputs[k]!,
        });
    if (checks.length === 0) {
      inputs.forEach((t) => t.dispose());
      return { ...out, status: 'skipped', message: 'the model defines no log-determinant' };
    }
    const rows: Array<Array<string | number | null>> = [];
    let worst = 0;
    for (const [i, c] of checks.entries()) {
      if (stopReason(ctx) !== undefined) break;
      for (const [p, r] of compare(ctx, c, settings.explicitPoints).entries()) {
        const diff = Math.abs(r.claimed - r.brute);
        // Relative to the size of the log-det: float32 Jacobians carry ~1e-6 relative error per entry.
        const rel = diff / (1 + Math.abs(r.brute));
        worst = Number.isNaN(rel) || Number.isNaN(worst) ? NaN : Math.max(worst, rel);
        rows.push([c.name, p, finiteOrNull(r.claimed), finiteOrNull(r.brute), finiteOrNull(diff)]);
      }
      ctx.progress((i + 1) / checks.length, c.name);
      await yieldToEventLoop();
    }
    inputs.forEach((t) => t.dispose());
    out.figures.push(
      figure('max-error', 'Largest |claimed - brute force| / (1 + |brute force|)', worst),
      figure('tolerance', 'Tolerance', settings.logDetTolerance),
    );
    out.tables.push({
      id: 'checks',
      title: 'Claimed vs brute-force log |det J|',
      columns: ['block', 'point', 'claimed', 'brute_force', 'abs_error'],
      rows,
    });
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
