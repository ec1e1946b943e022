/**
 * Extreme singular values of per-point Jacobians from products alone: plain power iteration on J^T J, and
 * Golub-Kahan-Lanczos bidiagonalization (a Krylov method that also yields the smallest singular value). Both
 * cost one J v and one J^T u per iteration and run on all points at once.
 */
import { bidiagonal, singularValues } from '../linalg/matrix64';
import { normalizeRows, rowNorm, type BatchedJacobian } from './jacobian';
import type { Rng } from './rng';
import type { Tensor2D, Tf } from './target';
import { yieldToEventLoop } from './target';

export type SpectralMethod = 'power' | 'lanczos';

export interface SpectralOptions {
  method: SpectralMethod;
  maxIter: number;
  /** Relative change of the estimate between iterations below which a point has converged. */
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
  /**
   * Per point, Lanczos only: the smallest Ritz value, an upper bound on the smallest singular value that is
   * exact once the Krylov space fills the input space. NaN for power iteration.
   */
  sigmaMin: number[];
  /** Iterations each point needed to converge (the cap where it did not). */
  iterations: number[];
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
  private readonly done: boolean[];
  private readonly last: number[];
  constructor(
    n: number,
    private readonly tol: number,
  ) {
    this.iterations = new Array<number>(n).fill(0);
    this.converged = new Array<boolean>(n).fill(false);
    this.done = new Array<boolean>(n).fill(false);
    this.last = new Array<number>(n).fill(NaN);
  }
  /** Records this iteration's estimates; returns true when every point is done. */
  update(it: number, est: readonly number[], exact?: readonly boolean[]): boolean {
    est.forEach((s, i) => {
      if (this.done[i]) return;
      this.iterations[i] = it;
      const finite = Number.isFinite(s);
      const settled = Math.abs(s - this.last[i]!) <= this.tol * Math.abs(s);
      // A NaN point will never converge: stop waiting for it (it is reported as not converged).
      if (!finite || exact?.[i] === true || settled) {
        this.done[i] = true;
        this.converged[i] = finite;
      }
      this.last[i] = s;
    });
    return this.done.every(Boolean);
  }
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
  let products = 0;
  for (let it = 1; it <= o.maxIter; it++) {
    const [s, next] = tf.tidy(() => {
      const u = jac.jvp(v);
      const w = jac.vjp(u);
      // ||J v|| for unit v converges to sigma_max from below.
      return [rowNorm(tf, u), normalizeRows(tf, w)];
    });
    products += 2;
    sigma = columnToArray(s);
    s.dispose();
    v.dispose();
    v = next;
    o.onIteration?.(it);
    o.onEstimate?.(it, sigma);
    if (tracker.update(it, sigma) || o.shouldStop?.() === true) break;
    await yieldToEventLoop();
  }
  v.dispose();
  return {
    sigmaMax: sigma,
    sigmaMin: sigma.map(() => NaN),
    iterations: tracker.iterations,
    converged: tracker.converged,
    products,
  };
}

/**
 * Golub-Kahan-Lanczos with full reorthogonalisation (cheap at these sizes, and without it float32 rounding
 * produces ghost copies of the top singular value). J V_k = U_k B_k with B_k upper bidiagonal; the singular
 * values of B_k approximate those of J from the extremes inward.
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
  const sigmaMin = new Array<number>(n).fill(NaN);
  const exact = new Array<boolean>(n).fill(false);
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
    const sizeK = k + 1;
    for (let i = 0; i < n; i++) {
      const sv = singularValues(bidiagonal(alphas[i]!, betas[i]!));
      sigmaMax[i] = sv[0]!;
      sigmaMin[i] = sv[sv.length - 1]!;
      // Breakdown (alpha ~ 0) or a full Krylov space: the Ritz values are exact.
      if (sizeK === jac.dIn || a[i]! <= 1e-7 * sigmaMax[i]!) exact[i] = true;
    }
    o.onIteration?.(sizeK);
    o.onEstimate?.(sizeK, sigmaMax);
    const maxDone = tracker.update(sizeK, sigmaMax, exact);
    // The smallest Ritz value creeps down slowly: only wait for it when asked to.
    const minDone = o.needMin !== true || minTracker.update(sizeK, sigmaMin, exact);
    if ((maxDone && minDone) || o.shouldStop?.() === true || sizeK === maxK) break;

    // w = J^T u_k - alpha_k v_k, orthogonalised against all v.
    const [beta, v] = tf.tidy(() => {
      const w = orthogonalize(jac.vjp(u), vs);
      const b = rowNorm(tf, w);
      return [b, tf.div(w, tf.maximum(b, 1e-30)) as Tensor2D];
    });
    products++;
    vs.push(v);
    const b = columnToArray(beta);
    beta.dispose();
    b.forEach((x, i) => {
      betas[i]!.push(x);
      if (x <= 1e-7 * sigmaMax[i]!) exact[i] = true;
    });
    await yieldToEventLoop();
  }
  for (const t of [...vs, ...us]) t.dispose();
  return {
    sigmaMax,
    sigmaMin,
    iterations:
      o.needMin === true
        ? tracker.iterations.map((t, i) => Math.max(t, minTracker.iterations[i]!))
        : tracker.iterations,
    converged:
      o.needMin === true ? tracker.converged.map((c, i) => c && minTracker.converged[i]!) : tracker.converged,
    products,
  };
}
