/**
 * Invertibility attack (Behrmann et al. 2021, Sec. 5): projected sign-gradient ascent on |x - F^-1(F(x))|
 * within an L-infinity ball around data points, by default half a quantisation bin of 8-bit data. A model
 * that is stable only on the data manifold is broken by inputs a rounding error away.
 */
import { figure, finiteOrNull } from '../report/schema';
import { flat, maxOrNaN, median, relativeRowError } from './measure';
import { emptyOutput, type Probe } from './probe';
import { flatMaps, stopReason, type Tensor, type Tensor2D, yieldToEventLoop } from './target';

export const attack: Probe = {
  id: 'attack',
  title: 'Invertibility attack',
  needsInverse: true,
  async run({ target, data, settings }, ctx) {
    const { tf, rng } = ctx;
    const out = emptyOutput();
    const maps = flatMaps(tf, target, ctx.passes);
    const x0 = flat(tf, data);
    const [n, d] = x0.shape;
    const eps = settings.attackEpsilon;
    const steps = settings.attackSteps;
    const alpha = (2.5 * eps) / Math.max(1, steps);
    const errorsAt = (x: Tensor2D): number[] => {
      const back = tf.tidy(() => maps.inverse!(maps.forward(x)));
      const e = relativeRowError(tf, back, x);
      back.dispose();
      return e;
    };
    const initial = errorsAt(x0);
    const worst = [...initial];
    const record = (e: number[]): void =>
      e.forEach((v, i) => {
        if (Number.isNaN(v) || v > worst[i]!) worst[i] = v;
      });
    const lo = tf.sub(x0, eps);
    const hi = tf.add(x0, eps);
    // A random start inside the ball, as in PGD.
    let x = tf.tidy(() => tf.add(x0, tf.tensor2d(rng.uniforms(n * d, -eps, eps), [n, d]))) as Tensor2D;
    const loss = (xx: Tensor): Tensor =>
      tf.sum(tf.square(tf.sub(maps.inverse!(maps.forward(xx as Tensor2D)), xx)));
    const grad = tf.grad(loss);
    const every = Math.max(1, Math.floor(steps / 20));
    let done = 0;
    // The step at which the gradient failed: from there on the attack is a random search, said once, since it
    // finds far less than gradient ascent and its worst error is then a much weaker lower bound.
    let gradientFailedAt: number | undefined;
    for (let step = 0; step < steps; step++) {
      if (stopReason(ctx) !== undefined) break;
      let next: Tensor2D | undefined;
      if (gradientFailedAt === undefined) {
        try {
          next = tf.tidy(() => {
            ctx.passes.backward++;
            const g = grad(x);
            // NaN gradients would move x to NaN: take no step in those coordinates instead.
            const s = tf.where(tf.isNaN(g), tf.zerosLike(g), tf.sign(g));
            return tf.minimum(tf.maximum(tf.add(x, tf.mul(s, alpha)), lo), hi) as Tensor2D;
          });
        } catch (e) {
          gradientFailedAt = step;
          out.notes.push(
            `Gradient through forward and inverse failed at step ${step + 1} (${e instanceof Error ? e.message : String(e)}): the remaining steps were a random search, a much weaker attack.`,
          );
        }
      }
      next ??= tf.tidy(() =>
        tf.minimum(tf.maximum(tf.add(x, tf.tensor2d(rng.uniforms(n * d, -alpha, alpha), [n, d])), lo), hi),
      ) as Tensor2D;
      x.dispose();
      x = next;
      done = step + 1;
      if (done % every === 0 || done === steps) record(errorsAt(x));
      ctx.progress(done / steps, `step ${done}`);
      if (gradientFailedAt !== undefined && done % every !== 0) continue;
      await yieldToEventLoop();
    }
    for (const t of [x, x0, lo, hi]) t.dispose();
    const worstMax = maxOrNaN(worst);
    out.figures.push(
      figure('worst-error', 'Worst relative reconstruction error found in the ball', worstMax),
      figure('initial-error', 'Error at the data points', maxOrNaN(initial)),
      figure(
        'amplification',
        'Worst error / error at the data',
        worstMax / Math.max(maxOrNaN(initial), 1e-12),
      ),
      figure('epsilon', 'L-infinity radius', eps),
      figure('steps', 'Steps run', done),
      figure('gradient-steps', 'Steps that followed the gradient', gradientFailedAt ?? done),
    );
    out.tables.push({
      id: 'points',
      title: 'Per point',
      columns: ['point', 'initial_error', 'worst_error'],
      rows: worst.map((w, i) => [i, finiteOrNull(initial[i]!), finiteOrNull(w)]),
    });
    out.notes.push(`Median worst error ${median(worst).toExponential(2)} after ${done} of ${steps} steps.`);
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
