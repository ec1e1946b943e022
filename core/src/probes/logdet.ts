/**
 * Log-determinant consistency: the model's own log |det J| against a brute-force one from the explicit
 * Jacobian (small inputs only), for the model and per block, so a wrong log-det names its block.
 *
 * The reference is factored in float64, but the Jacobian comes from float32 autodiff, and that is the limiting
 * error: a mismatch only counts past the reference's own error bound (see referenceBound). Where the bound
 * cannot be had (a Jacobian too ill-conditioned for float32) the check is inconclusive, not an error; the
 * model's log-det is then checked as the sum of its blocks' checked log-dets.
 */
import { figure, finiteOrNull } from '../report/schema';
import { plural } from '../report/plural';
import {
  invertLower,
  invertUpper,
  logAbsDetOrNaN,
  luDecompose,
  matMul,
  matrix,
  type Matrix64,
} from '../linalg/matrix64';
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

interface Comparison {
  /** The model's log-det at the point; for a stochastic one, the mean of its draws. */
  claimed: number;
  /** A stochastic log-det (two calls on the same input differ): the standard error of `claimed`; else 0. */
  standardError: number;
  /** log |det J| of the float32 Jacobian, factored in float64. */
  brute: number;
  /** Bound on |brute - log |det J_exact|| from the Jacobian's float32 rounding; NaN when none can be had. */
  bound: number;
}

/** float32 unit roundoff. */
const UNIT_ROUNDOFF_F32 = 2 ** -24;

/**
 * Error bound of log |det J| computed from a float32 Jacobian Ĵ = J + E. The model of E: |E_ij| <= eps |Ĵ_ij|
 * with eps = 2 d u (u the float32 unit roundoff; each entry is a backward pass of dot products of length up
 * to d, whose rounding grows like d u). Then log|det Ĵ| - log|det J| = tr(Ĵ^-1 E) + O(eps^2), and
 * |tr(Ĵ^-1 E)| <= eps sum_ij |Ĵ^-1|_ji |Ĵ|_ij. The first-order term is only trusted while
 * r = eps || |Ĵ^-1| |Ĵ| ||_inf (Skeel's condition number times eps) <= 1/2: past that E can move an eigenvalue
 * of Ĵ^-1 J across zero and float32 cannot pin the log-det down (NaN: inconclusive). The componentwise
 * model is what lets a diagonal Jacobian with condition 5e9 (entries exact to u) be checked at all; a dense
 * one that ill-conditioned is inconclusive.
 */
export function referenceBound(j: Matrix64): number {
  const n = j.rows;
  if (n !== j.cols || j.data.some((v) => !Number.isFinite(v))) return NaN;
  let inv: Matrix64;
  try {
    inv = inverse64(j);
  } catch {
    return NaN;
  }
  const eps = 2 * n * UNIT_ROUNDOFF_F32;
  let trace = 0;
  let skeel = 0;
  for (let i = 0; i < n; i++) {
    // Row i of |Ĵ^-1| |Ĵ|, summed: the infinity norm's candidate for row i.
    let row = 0;
    for (let k = 0; k < n; k++) {
      const a = Math.abs(inv.data[i * n + k]!);
      if (a === 0) continue;
      for (let c = 0; c < n; c++) row += a * Math.abs(j.data[k * n + c]!);
      trace += a * Math.abs(j.data[k * n + i]!);
    }
    skeel = Math.max(skeel, row);
  }
  return Number.isFinite(trace) && eps * skeel <= 0.5 ? eps * trace : NaN;
}

/** A^-1 in float64 from its LU factors: P A = L U, so A^-1 = U^-1 L^-1 P. */
function inverse64(a: Matrix64): Matrix64 {
  const n = a.rows;
  const { perm, lower, upper } = luDecompose(a);
  const p = matrix(n, n);
  // Row i of P A is row perm[i] of A.
  perm.forEach((row, i) => (p.data[i * n + row] = 1));
  return matMul(matMul(invertUpper(upper), invertLower(lower)), p);
}

/**
 * Draws of a stochastic log-det (the i-ResNet's power series with Hutchinson traces, or a user's estimator) per
 * point: their mean is judged against the reference with STOCHASTIC_SIGMAS standard errors of room. An
 * unbiased estimator then fails the check with probability about 6e-7 (normal approximation); a biased one
 * fails once its bias exceeds the room, which shrinks as 1 / sqrt(draws).
 */
const STOCHASTIC_DRAWS = 32;
const STOCHASTIC_SIGMAS = 5;

/** The log-det at p ([1, ...inShape]); repeated draws when two calls differ. */
function claimedAt(ctx: ProbeContext, check: Check, p: Tensor): { mean: number; standardError: number } {
  const once = (): number => {
    const t = ctx.tf.tidy(() => ctx.tf.reshape(check.logDet(p), [-1]));
    const v = t.dataSync()[0] ?? NaN;
    t.dispose();
    return v;
  };
  const first = once();
  const second = once();
  // Bit-identical for a deterministic log-det on one backend; a difference is the estimator's randomness.
  if (first === second || !Number.isFinite(first) || !Number.isFinite(second))
    return { mean: first, standardError: 0 };
  const draws = [first, second];
  while (draws.length < STOCHASTIC_DRAWS) draws.push(once());
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
  return { mean, standardError: Math.sqrt(variance / draws.length) };
}

function compare(ctx: ProbeContext, check: Check, points: number): Comparison[] {
  const { tf } = ctx;
  const inShape = check.input.shape.slice(1);
  const maps = flatMaps(tf, { name: check.name, inputShape: inShape, forward: check.forward }, ctx.passes);
  const x = flat(tf, check.input);
  const [n, d] = x.shape;
  const res: Comparison[] = [];
  for (let i = 0; i < Math.min(points, n); i++) {
    const p = x.slice([i, 0], [1, d]) as Tensor2D;
    const j = explicitJacobian(tf, maps.forward, p, pointSize(maps.outputShape), ctx.passes);
    const point = tf.reshape(p, [1, ...inShape]);
    const { mean, standardError } = claimedAt(ctx, check, point);
    tf.dispose([point, p]);
    res.push({ claimed: mean, standardError, brute: logAbsDetOrNaN(j), bound: referenceBound(j) });
  }
  x.dispose();
  return res;
}

type Verdict = 'ok' | 'mismatch' | 'inconclusive' | 'ok via blocks' | 'mismatch via blocks';

interface Row {
  check: string;
  point: number;
  c: Comparison;
  /**
   * (|claimed - brute| - bound) / (1 + |brute|): the mismatch the reference's error cannot explain. 0 where
   * inconclusive (nothing is counted), NaN where either side is NaN.
   */
  excess: number;
  verdict: Verdict;
}

function judge(check: string, point: number, c: Comparison, tol: number): Row {
  const diff = Math.abs(c.claimed - c.brute);
  // NaN on either side is a failure the check must show, not an inconclusive reference.
  if (!Number.isFinite(c.claimed) || Number.isNaN(c.brute))
    return { check, point, c, excess: NaN, verdict: 'mismatch' };
  if (Number.isNaN(c.bound)) return { check, point, c, excess: 0, verdict: 'inconclusive' };
  const room = c.bound + STOCHASTIC_SIGMAS * c.standardError;
  const excess = Math.max(0, diff - room) / (1 + Math.abs(c.brute));
  return { check, point, c, excess, verdict: excess > tol ? 'mismatch' : 'ok' };
}

/**
 * An inconclusive model check judged through its blocks: when every block's check at that point is
 * conclusive, the model's claim must equal the sum of the blocks' claims (log-dets add along a chain).
 */
function viaBlocks(row: Row, blockRows: readonly Row[], tol: number): Row {
  const same = blockRows.filter((r) => r.point === row.point);
  if (same.length === 0 || same.some((r) => r.verdict !== 'ok')) return row;
  const sum = same.reduce((s, r) => s + r.c.claimed, 0);
  // Independent draws: the standard errors of the model's mean and of the blocks' means add in quadrature.
  const se = Math.sqrt(same.reduce((s, r) => s + r.c.standardError ** 2, row.c.standardError ** 2));
  const excess = Math.max(0, Math.abs(row.c.claimed - sum) - STOCHASTIC_SIGMAS * se) / (1 + Math.abs(sum));
  return { ...row, excess, verdict: excess > tol ? 'mismatch via blocks' : 'ok via blocks' };
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
    const tol = settings.logDetTolerance;
    const judged: Row[] = [];
    for (const [i, c] of checks.entries()) {
      if (stopReason(ctx) !== undefined) break;
      for (const [p, r] of compare(ctx, c, settings.explicitPoints).entries())
        judged.push(judge(c.name, p, r, tol));
      ctx.progress((i + 1) / checks.length, c.name);
      await yieldToEventLoop();
    }
    inputs.forEach((t) => t.dispose());
    const blockRows = judged.filter((r) => r.check !== '(model)');
    // Blocks only stand in for the model when the model is exactly their chain.
    const chain = target.blocks !== undefined && target.blocks.every((b) => b.logDet !== undefined);
    const rows = judged.map((r) =>
      r.check === '(model)' && r.verdict === 'inconclusive' && chain ? viaBlocks(r, blockRows, tol) : r,
    );
    // NaN (a NaN log-det on either side) wins, as before; inconclusive rows do not count.
    let worst = 0;
    for (const r of rows)
      if (r.verdict !== 'inconclusive')
        worst = Number.isNaN(r.excess) || Number.isNaN(worst) ? NaN : Math.max(worst, r.excess);
    const inconclusive = rows.filter((r) => r.verdict === 'inconclusive').length;
    out.figures.push(
      figure(
        'max-error',
        'Largest mismatch beyond the reference error bound: (|claimed - brute force| - bound) / (1 + |brute force|)',
        worst,
      ),
      figure('tolerance', 'Tolerance', tol),
      figure('inconclusive', 'Checks float32 Jacobians cannot decide (too ill-conditioned)', inconclusive),
    );
    out.tables.push({
      id: 'checks',
      title: `Claimed vs brute-force log |det J| (float32 Jacobian, float64 factorisation); excess: the mismatch beyond the reference bound (and ${STOCHASTIC_SIGMAS} standard errors of a stochastic claim) counted against the tolerance, 0 where inconclusive`,
      columns: [
        'block',
        'point',
        'claimed',
        'brute_force',
        'abs_error',
        'reference_bound',
        'standard_error',
        'excess',
        'verdict',
      ],
      rows: rows.map((r) => [
        r.check,
        r.point,
        finiteOrNull(r.c.claimed),
        finiteOrNull(r.c.brute),
        finiteOrNull(Math.abs(r.c.claimed - r.c.brute)),
        finiteOrNull(r.c.bound),
        finiteOrNull(r.c.standardError),
        finiteOrNull(r.excess),
        r.verdict,
      ]),
    });
    out.notes.push(
      'The brute-force log-det factors the Jacobian in float64, but the Jacobian itself is float32 autodiff: ' +
        'a difference counts only beyond its first-order rounding bound 2 d u sum |J^-1|_ji |J|_ij (u = 2^-24).',
    );
    if (inconclusive > 0)
      out.notes.push(
        `${plural(inconclusive, 'check')} inconclusive: the Jacobian is too ill-conditioned for a float32 reference (eps times Skeel's condition number > 1/2).`,
      );
    const stochastic = [...new Set(rows.filter((r) => r.c.standardError > 0).map((r) => r.check))];
    if (stochastic.length > 0)
      out.notes.push(
        `Stochastic log-det (two calls on one input differ) in ${stochastic.join(', ')}: the claim is the mean of ${STOCHASTIC_DRAWS} draws, and a difference counts only beyond the reference bound plus ${STOCHASTIC_SIGMAS} standard errors of that mean (standard_error column).`,
      );
    if (rows.some((r) => r.verdict.endsWith('via blocks')))
      out.notes.push("The model's log-det was checked as the sum of its blocks' checked log-dets.");
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
