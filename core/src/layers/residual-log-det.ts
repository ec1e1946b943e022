/**
 * log det(I + J) for a residual block x + g(x) with ||J|| <= L < 1 (J = J_g(x), the i-ResNet case), built so that
 * maximum-likelihood training needs first-order gradients only (tfjs's second-order gradients throw or are
 * silently wrong for common ops, see lipschitz-activations.ts):
 * - exact: LU without pivoting of I + J in float32 tensor ops, differentiable like any other op;
 * - series: the Residual Flows estimator (Chen et al. 2019): the power series sum_k (-1)^(k+1) tr(J^k) / k with
 *   Hutchinson traces and a Russian-roulette number of terms (unbiased), and the Neumann-series estimate of its
 *   gradient (unbiased too), injected through a surrogate whose value cancels.
 * The branch enters through a linearisation (vector-Jacobian and Jacobian-vector products) the caller writes
 * from first-order ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from './seeded-random';
import { stopGradient } from './spectral-norm';

/**
 * log det A per batch element for A = I + J [batch, n, n] with ||J||_2 < 1, by Gaussian elimination without
 * pivoting. It exists and its pivots are positive: the k-th pivot is det(A_k) / det(A_(k-1)) for the leading
 * k x k blocks A_k = I_k + J_k, and ||J_k|| <= ||J|| < 1 keeps every eigenvalue of I_k + t J_k off zero for t in
 * [0, 1], so det(A_k) keeps the sign of det(I_k) = 1. The symmetric part of A is >= (1 - ||J||) I, which bounds
 * the element growth of unpivoted elimination (Golub & Van Loan, 3.4.10), so float32 suffices for small n. A
 * pivot <= 0 (the premise broken) gives NaN, not a wrong number. d steps of a few batched ops each.
 */
export function logDetUnpivotedLU(a: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const [batch, n] = a.shape;
    const logPivots: tf.Tensor[] = [];
    let s: tf.Tensor3D = a;
    for (let k = n; k >= 1; k--) {
      const pivot = tf.slice(s, [0, 0, 0], [batch, 1, 1]);
      logPivots.push(tf.log(pivot));
      if (k === 1) break;
      const column = tf.slice(s, [0, 1, 0], [batch, k - 1, 1]);
      const row = tf.slice(s, [0, 0, 1], [batch, 1, k - 1]);
      const rest = tf.slice(s, [0, 1, 1], [batch, k - 1, k - 1]);
      // Schur complement of the pivot.
      s = tf.sub(rest, tf.mul(tf.div(column, pivot), row));
    }
    return tf.reshape(tf.addN(logPivots), [batch]) as tf.Tensor1D;
  });
}

/** The products the series needs from the branch at fixed inputs, row by row ([rows, d] -> [rows, d]). */
export interface BranchLinearization {
  /** w^T J_g(x). */
  vjp(w: tf.Tensor2D): tf.Tensor2D;
  /** J_g(x) v. */
  jvp(v: tf.Tensor2D): tf.Tensor2D;
}

/** How many terms the series takes: m always, then each further one with probability rho (Russian roulette). */
export interface RouletteSchedule {
  /** m: terms 1..m are always computed. */
  exactTerms: number;
  /** rho in (0, 1): P(K >= m + j) = rho^j. */
  continueProbability: number;
}

/**
 * Hard cap on the roulette's extra terms, a guard against a rho near 1. Reaching it has probability
 * rho^MAX_ROULETTE_TERMS and leaves a bias of at most d L^(m + cap + 1) / ((m + cap + 1)(1 - L)).
 */
export const MAX_ROULETTE_TERMS = 1000;

/** K = m + N, N ~ Geometric: P(N >= j) = rho^j. */
export function sampleSeriesTerms(schedule: RouletteSchedule, rng: SeededRandom): number {
  let extra = 0;
  while (extra < MAX_ROULETTE_TERMS && rng.uniform() < schedule.continueProbability) extra++;
  return schedule.exactTerms + extra;
}

/** 1 / P(K >= k): 1 for the first m terms, rho^-(k - m) after. */
export function rouletteWeight(k: number, schedule: RouletteSchedule): number {
  return k <= schedule.exactTerms ? 1 : schedule.continueProbability ** -(k - schedule.exactTerms);
}

/**
 * The per-row estimate Z and the Neumann vector u, for rows of x with probes v and term counts K (per row):
 * w_k = v^T J^k by k vector-Jacobian products, Z = sum_(k <= K) (-1)^(k+1) / k (w_k . v) / P(K >= k),
 * u = sum_(0 <= k <= K) (-1)^k w_k / P(K >= k). Returned as [Z | u], [rows, 1 + d].
 */
function estimateAndNeumannVector(
  lin: BranchLinearization,
  v: tf.Tensor2D,
  rowTerms: readonly number[],
  schedule: RouletteSchedule,
): tf.Tensor2D {
  const maxTerms = Math.max(...rowTerms);
  let w = v;
  let z: tf.Tensor = tf.zeros([v.shape[0], 1]);
  let u: tf.Tensor = v;
  for (let k = 1; k <= maxTerms; k++) {
    w = lin.vjp(w);
    const weights = rowTerms.map((terms) => (k <= terms ? rouletteWeight(k, schedule) : 0));
    const weight = tf.tensor2d(weights, [weights.length, 1]);
    const sign = k % 2 === 1 ? 1 : -1;
    z = tf.add(z, tf.mul(tf.sum(tf.mul(w, v), 1, true), tf.mul(weight, sign / k)));
    u = tf.add(u, tf.mul(w, tf.mul(weight, -sign)));
  }
  return tf.concat([z, u], 1) as tf.Tensor2D;
}

/**
 * Residual Flows' estimator of log det(I + J_g(x)) for each row of x [batch, d], averaged over `samples`
 * Hutchinson probes (`probes` [samples * batch, d], row j * batch + b for sample j of element b), probe j
 * taking `terms[j]` series terms (sampleSeriesTerms). Both the value and its gradient (with respect to x and
 * everything `linearize` reads) are unbiased. The value and u are computed outside the gradient tape; the
 * gradient comes from the surrogate u^T J_g(x) v, whose value is added and subtracted.
 * Returns the estimate [batch] and the per-probe estimates [samples, batch] (for a measured variance).
 */
export function seriesLogDet(
  x: tf.Tensor2D,
  linearize: (x: tf.Tensor2D) => BranchLinearization,
  probes: tf.Tensor2D,
  terms: readonly number[],
  schedule: RouletteSchedule,
): { logDet: tf.Tensor1D; perProbe: tf.Tensor2D } {
  return tf.tidy(() => {
    const [batch, d] = x.shape;
    const samples = terms.length;
    const xs = tf.tile(x, [samples, 1]) as tf.Tensor2D;
    const rowTerms = terms.flatMap((t) => Array<number>(batch).fill(t));
    const untaped = tf.customGrad((input, save) => {
      void save; // nothing to keep: this part carries no gradient
      return {
        value: estimateAndNeumannVector(linearize(input as tf.Tensor2D), probes, rowTerms, schedule),
        gradFunc: (_dy: tf.Tensor) => tf.zerosLike(input as tf.Tensor),
      };
    });
    const zu = untaped(xs) as tf.Tensor2D;
    const z = tf.reshape(tf.slice(zu, [0, 0], [-1, 1]), [samples * batch]);
    const u = tf.slice(zu, [0, 1], [-1, d]);
    const surrogate = tf.sum(tf.mul(u, linearize(xs).jvp(probes)), 1);
    const rows = tf.add(z, tf.sub(surrogate, stopGradient(surrogate)));
    const perProbe = tf.reshape(rows, [samples, batch]) as tf.Tensor2D;
    return { logDet: tf.mean(perProbe, 0) as tf.Tensor1D, perProbe };
  });
}

/**
 * Proven bound on the variance of the series estimate of one element, over the probes and the roulette, when
 * ||J|| <= L (certified) and L^2 < rho (else Infinity: the roulette's weights outgrow its probabilities).
 * With c_k = (-1)^(k+1)/k, q_k = P(K >= k), A_K = sum_(k <= K) c_k J^k / q_k and Z = v^T A_K v:
 * Var Z = E_K Var_v(Z | K) + Var_K tr(A_K). For Rademacher or Gaussian v, Var_v(v^T A v) <= 2 ||A||_F^2 <=
 * 2 d ||A||_2^2 <= 2 d S_K^2 with S_K = sum_(k <= K) L^k / (k q_k); tr(A_K) varies only through the terms past m,
 * each |tr J^k| <= d L^k, so Var_K tr(A_K) <= d^2 E T_K^2 with T_K = sum_(m < k <= K) L^k / (k q_k). Term m + j
 * is at most a r^j with a = L^m / (m + 1), r = L / rho, so T_K <= a G_N, G_N = sum_(j <= N) r^j, whose moments
 * over N ~ Geometric(rho) are closed-form: E G = r rho / (1 - rho r), E G^2 = r^2 rho (1 + rho r) /
 * ((1 - rho r)(1 - rho r^2)). Averaging `samples` independent probes divides by `samples`.
 */
export function seriesVarianceBound(o: {
  dim: number;
  lipschitz: number;
  schedule: RouletteSchedule;
  samples: number;
}): number {
  const L = o.lipschitz;
  const rho = o.schedule.continueProbability;
  const m = o.schedule.exactTerms;
  if (!(L >= 0 && L < 1 && L * L < rho)) return Infinity;
  let head = 0;
  for (let k = 1; k <= m; k++) head += L ** k / k;
  const a = L ** m / (m + 1);
  const r = L / rho;
  const meanG = (r * rho) / (1 - rho * r);
  const meanG2 = (r * r * rho * (1 + rho * r)) / ((1 - rho * r) * (1 - rho * r * r));
  const meanS2 = head * head + 2 * head * a * meanG + a * a * meanG2;
  const meanT2 = a * a * meanG2;
  return (2 * o.dim * meanS2 + o.dim * o.dim * meanT2) / o.samples;
}
