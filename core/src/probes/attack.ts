/**
 * Invertibility attack (Behrmann et al. 2021, Sec. 5): projected sign-gradient ascent on |x - F^-1(F(x))|
 * within an L-infinity ball around data points, by default half a quantisation bin of 8-bit data. A model
 * that is stable only on the data manifold is broken by inputs a rounding error away.
 */
import { figure, finiteOrNull } from '../report/schema';
import { flat, maxOrNaN, median, relativeRowError } from './measure';
import { emptyOutput, type Probe } from './probe';
import { flatMaps, stopReason, type Tensor, type Tensor2D, yieldToEventLoop } from './target';

/** What the stopping rule watches after each step: the largest and the geometric mean of the points' worst errors. */
export interface AttackProgress {
  worst: number;
  typical: number;
}

export function attackProgress(worstPerPoint: readonly number[]): AttackProgress {
  const worst = maxOrNaN(worstPerPoint);
  // A floor keeps exact reconstructions (error 0) from sending the mean of logs to -Infinity.
  const logs = worstPerPoint.map((e) => Math.log(Math.max(e, 1e-30)));
  return { worst, typical: Math.exp(logs.reduce((a, b) => a + b, 0) / Math.max(1, logs.length)) };
}

/**
 * When gradient ascent has stalled: it has run long enough for every coordinate to cross the radius from the
 * centre (minSteps, with the step 2.5 eps / steps of PGD), and over the last `window` steps neither the worst
 * error found nor the geometric mean of the points' worst errors (so a point still climbing below the worst
 * one keeps it going) grew by more than `gain`. At that rate the remaining steps would add at most a factor
 * gain^(remaining / window). Returns why it stops, or undefined to go on.
 */
export function attackStall(
  history: readonly AttackProgress[],
  steps: number,
): { minSteps: number; window: number; gain: number; reason?: string } {
  const minSteps = Math.ceil(steps / 2.5);
  const window = Math.max(1, Math.ceil(steps / 5));
  const gain = 1.1;
  const rule = { minSteps, window, gain };
  const k = history.length - 1;
  const now = history[k];
  if (now === undefined) return rule;
  // A NaN/Inf reconstruction is the worst there is: nothing further can change the verdict.
  if (Number.isNaN(now.worst)) return { ...rule, reason: `a NaN/Inf reconstruction was found by step ${k}` };
  if (k < minSteps || k < window) return rule;
  const then = history[k - window]!;
  const growth = Math.max(now.worst / then.worst, now.typical / then.typical);
  // 0 / 0: nothing to climb at all.
  if (growth > gain) return rule;
  const pct = Number.isNaN(growth) ? 0 : (growth - 1) * 100;
  return {
    ...rule,
    reason: `the worst error and the points' geometric mean grew by at most ${pct.toFixed(1)}% (< ${((gain - 1) * 100).toFixed(0)}%) over the last ${window} steps`,
  };
}

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
    // The loss's own forward pass gives each row's error at the current x, so every iterate is measured at no
    // extra pass: the squared row errors are kept out of the gradient's scope and read after it.
    let rowSquares: Tensor | undefined;
    const loss = (xx: Tensor): Tensor => {
      const sq = tf.sum(tf.square(tf.sub(maps.inverse!(maps.forward(xx as Tensor2D)), xx)), 1);
      rowSquares = tf.keep(tf.clone(sq));
      return tf.sum(sq);
    };
    const grad = tf.grad(loss);
    const errorsFromLoss = (xx: Tensor2D): number[] => {
      const e = tf.tidy(() =>
        tf.div(tf.sqrt(rowSquares!), tf.maximum(tf.sqrt(tf.sum(tf.square(xx), 1)), 1e-6)),
      );
      const v = Array.from(e.dataSync()).map((u) => (Number.isFinite(u) ? u : NaN));
      tf.dispose([e, rowSquares!]);
      rowSquares = undefined;
      return v;
    };
    const every = Math.max(1, Math.floor(steps / 20));
    // What the stopping rule watches, after each step (index 0: at the data).
    const history = [attackProgress(worst)];
    let done = 0;
    let stalled: string | undefined;
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
          record(errorsFromLoss(x));
        } catch (e) {
          if (rowSquares !== undefined) tf.dispose(rowSquares);
          rowSquares = undefined;
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
      // A random search is measured every few steps (each measurement is a pass); it runs all its steps, as
      // there is no ascent to stall.
      if (gradientFailedAt !== undefined && (done % every === 0 || done === steps)) record(errorsAt(x));
      history.push(attackProgress(worst));
      ctx.progress(done / steps, `step ${done} of at most ${steps}`);
      if (gradientFailedAt === undefined) {
        stalled = attackStall(history, steps).reason;
        if (stalled !== undefined) break;
      }
      if (gradientFailedAt !== undefined && done % every !== 0) continue;
      await yieldToEventLoop();
    }
    // The last iterate, which no gradient pass measured.
    if (gradientFailedAt === undefined && done > 0) record(errorsAt(x));
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
    if (stalled !== undefined) {
      const { minSteps } = attackStall(history, steps);
      out.notes.push(
        `Stopped at step ${done} of ${steps}: ${stalled}. The attack stops once it has run ${minSteps} steps (enough to cross the radius) and its worst error stalls.`,
      );
    }
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
