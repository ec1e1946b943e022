/**
 * Extreme singular values of per-point Jacobians from products alone: plain power iteration on J^T J, and
 * Golub-Kahan-Lanczos bidiagonalization (a Krylov method that also yields the smallest singular value). Both
 * cost one J v and one J^T u per iteration and run on all points at once.
 *
 * Each estimate carries an error bar, and a point stops when the bar is below the tolerance, not when the
 * estimate stops moving (a slowly converging estimate moves little while still percent-low). Lanczos bars come
 * from Ritz residuals: they bound the distance to the singular value nearest the estimate, and Lanczos resolves
 * clusters of close singular values, so that it is the largest one only assumes the random start is not
 * (numerically) orthogonal to its singular vector. Power iteration cannot resolve a cluster, so its upper end
 * is the gap-free probabilistic bound of powerFailureBound instead: wide, and honest about it. Both are widened
 * by the products' own relative error (BatchedJacobian.relativeError: J v is a central finite difference in
 * float32), which no residual can see.
 */
import { bidiagonal, matrix, transpose, type Matrix64 } from '../linalg/matrix64';
import { normalizeRows, rowNorm, type BatchedJacobian } from './jacobian';
import type { Rng } from './rng';
import type { Tensor2D, Tf } from './target';
import { yieldToEventLoop } from './target';

export type SpectralMethod = 'power' | 'lanczos';

export interface SpectralOptions {
  method: SpectralMethod;
  maxIter: number;
  /** Relative error bar (bound width / estimate) below which a point has converged. */
  tol: number;
  /** Returns true to stop early (budget, cancel); what was reached is returned. */
  shouldStop?: () => boolean;
  onIteration?: (iteration: number) => void;
  /** The per-point sigma_max estimates after each iteration (the bench measures convergence with it). */
  onEstimate?: (iteration: number, sigmaMax: readonly number[]) => void;
  /** Lanczos only: also wait for the smallest singular value to settle (for 1/sigma_min inverse bounds). */
  needMin?: boolean;
}

export interface SpectralEstimate {
  /** Per point; NaN where the model produced NaN/Inf. */
  sigmaMax: number[];
  /** Per point: sigma_max's error bar, sigma_max in [sigmaMaxLower, sigmaMaxUpper]. */
  sigmaMaxLower: number[];
  sigmaMaxUpper: number[];
  /**
   * Per point, Lanczos only: the smallest Ritz value, an upper bound on the smallest singular value that is
   * exact once the Krylov space fills the input space. NaN for power iteration.
   */
  sigmaMin: number[];
  /** Per point, Lanczos only: sigma_min's error bar, sigma_min in [sigmaMinLower, sigmaMinUpper]. */
  sigmaMinLower: number[];
  sigmaMinUpper: number[];
  /** Iterations each point needed to converge (the cap where it did not). */
  iterations: number[];
  /** True where the error bar (of sigma_max, and of sigma_min with needMin) is below `tol`, relative. */
  converged: boolean[];
  /** Total J v plus J^T u products (each over the whole batch). */
  products: number;
}

/** A batch of unit random rows from the seeded generator. */
export function randomUnitRows(tf: Tf, rng: Rng, n: number, d: number): Tensor2D {
  return tf.tidy(() => normalizeRows(tf, tf.tensor2d(rng.normals(n * d), [n, d])));
}

function columnToArray(t: Tensor2D): number[] {
  return Array.from(t.dataSync());
}

export async function largestSingularValues(
  tf: Tf,
  jac: BatchedJacobian,
  rng: Rng,
  options: SpectralOptions,
): Promise<SpectralEstimate> {
  return options.method === 'power' ? powerIteration(tf, jac, rng, options) : lanczos(tf, jac, rng, options);
}

class Tracker {
  readonly iterations: number[];
  readonly converged: boolean[];
  private readonly failed: boolean[];
  constructor(
    n: number,
    private readonly tol: number,
  ) {
    this.iterations = new Array<number>(n).fill(0);
    this.converged = new Array<boolean>(n).fill(false);
    this.failed = new Array<boolean>(n).fill(false);
  }
  /**
   * Records this iteration's estimates and the widths of their error bars; returns true when every point is
   * done. A point is converged while its bar is within `tol` of its estimate. Not latched: Lanczos can find a
   * larger singular value after settling on a smaller one, and its bar then widens again.
   */
  update(it: number, est: readonly number[], width: readonly number[]): boolean {
    est.forEach((s, i) => {
      if (this.failed[i]) return;
      // A NaN point will never converge: stop waiting for it (it is reported as not converged).
      if (!Number.isFinite(s)) {
        this.failed[i] = true;
        this.converged[i] = false;
        return;
      }
      const within = width[i]! <= this.tol * Math.abs(s);
      if (!within || !this.converged[i]) this.iterations[i] = it;
      this.converged[i] = within;
    });
    return this.converged.every((c, i) => c || this.failed[i]);
  }
  /** Re-judges convergence with final bars, without counting an iteration. */
  recheck(est: readonly number[], width: readonly number[]): void {
    est.forEach((s, i) => {
      if (!this.failed[i]) this.converged[i] = width[i]! <= this.tol * Math.abs(s);
    });
  }
}

/** Relative float32 rounding allowed for a norm of an exact reverse product. */
const REVERSE_ROUNDING = 1e-6;

/** The probability the error bars of power iteration may be wrong: they hold for all but this share of starts. */
export const POWER_FAILURE_PROBABILITY = 1e-3;

/**
 * Kuczynski and Wozniakowski (SIAM J. Matrix Anal. Appl. 13, 1992): for a start uniform on the sphere, the
 * Rayleigh quotient of A^k b falls below (1 - eps) lambda_max with probability at most
 * 0.824 sqrt(n) (1 - eps)^(k - 1/2), whatever the spectrum. Solved for eps at POWER_FAILURE_PROBABILITY; 1
 * (no bound) until k is large enough. Gap-free, hence slow: ln(0.824 sqrt(n) / p) / k.
 */
export function powerFailureBound(n: number, k: number): number {
  if (k - 0.5 <= 0) return 1;
  const eps = 1 - (POWER_FAILURE_PROBABILITY / (0.824 * Math.sqrt(n))) ** (1 / (k - 0.5));
  return Math.min(1, Math.max(0, eps));
}

async function powerIteration(
  tf: Tf,
  jac: BatchedJacobian,
  rng: Rng,
  o: SpectralOptions,
): Promise<SpectralEstimate> {
  let v = randomUnitRows(tf, rng, jac.n, jac.dIn);
  const tracker = new Tracker(jac.n, o.tol);
  let sigma: number[] = new Array<number>(jac.n).fill(NaN);
  let lower: number[] = new Array<number>(jac.n).fill(NaN);
  let upper: number[] = new Array<number>(jac.n).fill(NaN);
  const e = jac.relativeError ?? 0;
  let products = 0;
  for (let it = 1; it <= o.maxIter; it++) {
    const [s, exact, next] = tf.tidy(() => {
      const u = jac.jvp(v);
      const w = jac.vjp(u);
      const norm = rowNorm(tf, u);
      // ||J^T u|| / ||u|| uses only the exact reverse product: a lower bound on sigma_max that the finite
      // difference's curvature error cannot push above the truth.
      return [norm, tf.div(rowNorm(tf, w), tf.maximum(norm, 1e-30)), normalizeRows(tf, w)];
    });
    products += 2;
    sigma = columnToArray(s);
    const reverse = columnToArray(exact);
    s.dispose();
    exact.dispose();
    v.dispose();
    v = next;
    // ||J v|| for unit v is below sigma_max. A residual cannot bound how far (it certifies the singular value
    // nearest the estimate, which inside a cluster of close ones need not be the largest); the random start can.
    const above = powerFailureBound(jac.dIn, it - 1);
    lower = reverse.map((t) => t * (1 - REVERSE_ROUNDING));
    upper = sigma.map((t) => (t / Math.sqrt(1 - above)) * (1 + e));
    o.onIteration?.(it);
    o.onEstimate?.(it, sigma);
    if (
      tracker.update(
        it,
        sigma,
        upper.map((u, i) => u - lower[i]!),
      ) ||
      o.shouldStop?.() === true
    )
      break;
    await yieldToEventLoop();
  }
  v.dispose();
  return {
    sigmaMax: sigma,
    sigmaMaxLower: lower,
    sigmaMaxUpper: upper,
    sigmaMin: sigma.map(() => NaN),
    sigmaMinLower: sigma.map(() => NaN),
    sigmaMinUpper: sigma.map(() => NaN),
    iterations: tracker.iterations,
    converged: tracker.converged,
    products,
  };
}

/**
 * Golub-Kahan-Lanczos with full reorthogonalisation (cheap at these sizes, and without it float32 rounding
 * produces ghost copies of the top singular value). J V_k = U_k B_k with B_k upper bidiagonal, and
 * J^T U_k = V_k B_k^T + beta_k v_{k+1} e_k^T; the singular values theta of B_k approximate those of J from the
 * extremes inward. For a singular triplet (theta, y, z) of B_k the Ritz vectors u = U_k z, v = V_k y satisfy
 * J v = theta u exactly and J^T u - theta v = beta_k z_k v_{k+1}, so the symmetric [[0, J], [J^T, 0]] has an
 * eigenvalue (a singular value of J) within |beta_k z_k| / sqrt(2) of theta. The largest theta never exceeds
 * sigma_max and the smallest never falls below sigma_min (interlacing), which gives one-sided bars.
 */
async function lanczos(
  tf: Tf,
  jac: BatchedJacobian,
  rng: Rng,
  o: SpectralOptions,
): Promise<SpectralEstimate> {
  const n = jac.n;
  const maxK = Math.min(o.maxIter, jac.dIn, jac.dOut);
  const vs: Tensor2D[] = [randomUnitRows(tf, rng, n, jac.dIn)];
  const us: Tensor2D[] = [];
  const alphas: number[][] = Array.from({ length: n }, () => []);
  const betas: number[][] = Array.from({ length: n }, () => []);
  const tracker = new Tracker(n, o.tol);
  const minTracker = new Tracker(n, o.tol);
  const sigmaMax = new Array<number>(n).fill(NaN);
  const sigmaMaxLower = new Array<number>(n).fill(NaN);
  const sigmaMaxUpper = new Array<number>(n).fill(NaN);
  const sigmaMin = new Array<number>(n).fill(NaN);
  const sigmaMinLower = new Array<number>(n).fill(NaN);
  const sigmaMinUpper = new Array<number>(n).fill(NaN);
  const e = jac.relativeError ?? 0;
  const maxWidth = new Array<number>(n).fill(NaN);
  const minWidth = new Array<number>(n).fill(NaN);
  /** Per point: the left singular vector of B_k for the largest Ritz value (coefficients of the u's). */
  const topLeft: number[][] = Array.from({ length: n }, () => []);
  let products = 0;

  const orthogonalize = (w: Tensor2D, basis: Tensor2D[]): Tensor2D =>
    tf.tidy(() => {
      let r = w;
      // Twice is enough (Kahan: "twice is enough") to get orthogonality to working precision.
      for (let pass = 0; pass < 2; pass++)
        for (const b of basis) r = tf.sub(r, tf.mul(b, tf.sum(tf.mul(r, b), 1, true)));
      return r;
    });

  for (let k = 0; k < maxK; k++) {
    // p = J v_k - beta_{k-1} u_{k-1}, orthogonalised against all u.
    const [alpha, u] = tf.tidy(() => {
      const p = orthogonalize(jac.jvp(vs[k]!), us);
      const a = rowNorm(tf, p);
      return [a, tf.div(p, tf.maximum(a, 1e-30)) as Tensor2D];
    });
    products++;
    us.push(u);
    const a = columnToArray(alpha);
    alpha.dispose();
    a.forEach((x, i) => alphas[i]!.push(x));
    // w = J^T u_k - alpha_k v_k, orthogonalised against all v: beta_k is the residual's scale, so it is
    // computed before judging this step.
    const [beta, v] = tf.tidy(() => {
      const w = orthogonalize(jac.vjp(u), vs);
      const b = rowNorm(tf, w);
      return [b, tf.div(w, tf.maximum(b, 1e-30)) as Tensor2D];
    });
    products++;
    vs.push(v);
    const b = columnToArray(beta);
    beta.dispose();
    b.forEach((x, i) => betas[i]!.push(x));
    const sizeK = k + 1;
    for (let i = 0; i < n; i++) {
      const ritz = ritzBars(alphas[i]!, betas[i]!, sizeK === jac.dOut);
      sigmaMax[i] = ritz.max;
      topLeft[i] = ritz.maxLeft;
      sigmaMin[i] = ritz.min;
      sigmaMaxLower[i] = ritz.max * (1 - e);
      sigmaMaxUpper[i] = (ritz.max + ritz.maxResidual) * (1 + e);
      sigmaMinLower[i] = Math.max(0, (ritz.min - ritz.minResidual) * (1 - e));
      sigmaMinUpper[i] = ritz.min * (1 + e);
      maxWidth[i] = sigmaMaxUpper[i]! - sigmaMaxLower[i]!;
      minWidth[i] = sigmaMinUpper[i]! - sigmaMinLower[i]!;
    }
    o.onIteration?.(sizeK);
    o.onEstimate?.(sizeK, sigmaMax);
    const maxDone = tracker.update(sizeK, sigmaMax, maxWidth);
    // The smallest Ritz value converges slowly: only wait for it when asked to.
    const minDone = o.needMin !== true || minTracker.update(sizeK, sigmaMin, minWidth);
    if ((maxDone && minDone) || o.shouldStop?.() === true || sizeK === maxK) break;
    await yieldToEventLoop();
  }
  if (us.length > 0 && o.shouldStop?.() !== true) {
    // The lower end from the exact reverse product alone: ||J^T u|| for the unit Ritz vector u = U_k z, which
    // the finite difference's curvature error cannot push above the truth.
    const reverse = tf.tidy(() => {
      const k = us.length;
      const z = tf.tensor3d(
        topLeft.flatMap((c) => Array.from({ length: k }, (_, j) => c[j] ?? 0)),
        [n, k, 1],
      );
      const u = normalizeRows(tf, tf.sum(tf.mul(tf.stack(us, 1), z), 1) as Tensor2D);
      return rowNorm(tf, jac.vjp(u));
    });
    products++;
    columnToArray(reverse).forEach((r, i) => {
      if (Number.isFinite(r)) sigmaMaxLower[i] = r * (1 - REVERSE_ROUNDING);
    });
    reverse.dispose();
    tracker.recheck(
      sigmaMax,
      sigmaMaxUpper.map((u, i) => u - sigmaMaxLower[i]!),
    );
  }
  for (const t of [...vs, ...us]) t.dispose();
  return {
    sigmaMax,
    sigmaMaxLower,
    sigmaMaxUpper,
    sigmaMin,
    sigmaMinLower,
    sigmaMinUpper,
    iterations:
      o.needMin === true
        ? tracker.iterations.map((t, i) => Math.max(t, minTracker.iterations[i]!))
        : tracker.iterations,
    converged:
      o.needMin === true ? tracker.converged.map((c, i) => c && minTracker.converged[i]!) : tracker.converged,
    products,
  };
}

/**
 * The extreme singular values of the k x k bidiagonal B_k (diagonal `alphas`, above it betas[0..k-2]) and their
 * residual bounds |beta_k z_k| / sqrt(2), beta_k = betas[k-1]. Once U_k spans the whole output space
 * (`fullRange`, k = dOut < dIn, e.g. a classifier), J's singular values are exactly those of U_k^T J =
 * [B_k, beta_k e_k]: residual 0. NaN in, NaN out.
 */
export function ritzBars(
  alphas: readonly number[],
  betas: readonly number[],
  fullRange = false,
): { max: number; min: number; maxResidual: number; minResidual: number; maxLeft: number[] } {
  const k = alphas.length;
  const b = bidiagonal(alphas, betas);
  if (b.data.some((x) => !Number.isFinite(x)) || !Number.isFinite(betas[k - 1] ?? NaN))
    return { max: NaN, min: NaN, maxResidual: NaN, minResidual: NaN, maxLeft: [] };
  if (fullRange) {
    // (k + 1) x k: B_k^T with beta_k e_k^T below it.
    const wide = matrix(k + 1, k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) wide.data[i * k + j] = b.data[j * k + i]!;
    wide.data[k * k + k - 1] = betas[k - 1]!;
    const { values, vectors } = jacobiSvd(wide);
    const top = values.indexOf(Math.max(...values));
    return {
      max: values[top]!,
      min: Math.min(...values),
      maxResidual: 0,
      minResidual: 0,
      maxLeft: column(vectors, top),
    };
  }
  // Left singular vectors of B are the right singular vectors of B^T.
  const { values, vectors } = jacobiSvd(transpose(b));
  let hi = 0;
  let lo = 0;
  values.forEach((sv, j) => {
    if (sv > values[hi]!) hi = j;
    if (sv < values[lo]!) lo = j;
  });
  const lastBeta = Math.abs(betas[k - 1]!);
  const residual = (j: number): number => (lastBeta * Math.abs(vectors.data[(k - 1) * k + j]!)) / Math.SQRT2;
  return {
    max: values[hi]!,
    min: values[lo]!,
    maxResidual: residual(hi),
    minResidual: residual(lo),
    maxLeft: column(vectors, hi),
  };
}

function column(m: Matrix64, j: number): number[] {
  return Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j]!);
}

/**
 * One-sided Jacobi (Hestenes) on a matrix with at least as many rows as columns, rotations accumulated: A V = U Sigma, so column j of
 * `vectors` is the right singular vector of the singular value values[j] (unsorted). Float64, for the small
 * Lanczos matrices.
 */
function jacobiSvd(a: Matrix64, maxSweeps = 60): { values: number[]; vectors: Matrix64 } {
  const n = a.cols;
  const rows = a.rows;
  const m = matrix(rows, n, a.data);
  const v = matrix(n, n);
  for (let i = 0; i < n; i++) v.data[i * n + i] = 1;
  const rotate = (x: Matrix64, p: number, q: number, c: number, s: number): void => {
    for (let i = 0; i < x.rows; i++) {
      const xp = x.data[i * x.cols + p]!;
      const xq = x.data[i * x.cols + q]!;
      x.data[i * x.cols + p] = c * xp - s * xq;
      x.data[i * x.cols + q] = s * xp + c * xq;
    }
  };
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = m.data[i * n + p]!;
          const y = m.data[i * n + q]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        rotate(m, p, q, c, c * t);
        rotate(v, p, q, c, c * t);
      }
    if (!rotated) break;
  }
  const values: number[] = [];
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += m.data[i * n + j]! ** 2;
    values.push(Math.sqrt(s));
  }
  return { values, vectors: v };
}
