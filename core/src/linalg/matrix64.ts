/**
 * Dense float64 linear algebra in plain JS, shared by the layers (LU factors, triangular inverses, singular
 * values of weights), the bounds (spectral norms of checkpoint kernels) and the probes (explicit Jacobians,
 * Lanczos bidiagonals). No tfjs: the bounds run in the language server, where tfjs must not load. Sizes are
 * channel counts or small input dimensions (up to a few hundred), so O(n^3) loops are fine, and float64
 * keeps the error of the caller, not of the solver.
 */

/** Row-major dense matrix. */
export interface Matrix64 {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix64 {
  const m: Matrix64 = { rows, cols, data: new Float64Array(rows * cols) };
  if (data !== undefined) m.data.set(data);
  return m;
}

export function identity(n: number): Matrix64 {
  const m = matrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function matMul(a: Matrix64, b: Matrix64): Matrix64 {
  if (a.cols !== b.rows) throw new Error(`matMul: ${a.rows}x${a.cols} times ${b.rows}x${b.cols}`);
  const out = matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j]! += aik * b.data[k * b.cols + j]!;
    }
  }
  return out;
}

export function transpose(a: Matrix64): Matrix64 {
  const out = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return out;
}

/** Upper-bidiagonal k x k matrix (e.g. from Lanczos): `diagonal` on the diagonal, `upper` just above it. */
export function bidiagonal(diagonal: readonly number[], upper: readonly number[]): Matrix64 {
  const k = diagonal.length;
  const b = matrix(k, k);
  for (let i = 0; i < k; i++) {
    b.data[i * k + i] = diagonal[i]!;
    if (i + 1 < k) b.data[i * k + i + 1] = upper[i]!;
  }
  return b;
}

/** A source of standard normal draws, e.g. a SeededRandom. */
export interface GaussianSource {
  normalArray(count: number): ArrayLike<number>;
}

/**
 * A Haar-ish random rotation: Gram-Schmidt on an n x n Gaussian matrix drawn from `rng` (columns
 * orthonormalised twice). Reproducible when the source is seeded.
 */
export function randomRotation(n: number, rng: GaussianSource): Matrix64 {
  const q = matrix(n, n, rng.normalArray(n * n));
  for (let j = 0; j < n; j++) {
    // Two passes of modified Gram-Schmidt keep orthogonality at float64 precision.
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q.data[i * n + k]! * q.data[i * n + j]!;
        for (let i = 0; i < n; i++) q.data[i * n + j]! -= dot * q.data[i * n + k]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q.data[i * n + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q.data[i * n + j]! /= norm;
  }
  return q;
}

export interface LU {
  perm: number[];
  lower: Matrix64;
  upper: Matrix64;
}

/** LU with partial pivoting: rows `perm` of A equal L U, i.e. A[perm[i], :] = (L U)[i, :]. */
export function luDecompose(a: Matrix64): LU {
  const { perm, lower, upper, steps } = eliminate(a);
  if (steps < a.rows) throw new Error('luDecompose: singular matrix');
  return { perm, lower, upper };
}

/**
 * log |det A| for a row-major n x n matrix: the sum of log |pivot| of its LU factorization, so large products
 * do not overflow. -Infinity when A is singular. Jacobians of invertible blocks are small (d <= a few dozen),
 * so plain JS beats a tensor round trip.
 */
export function logAbsDet(entries: ArrayLike<number>, n: number): number {
  if (entries.length !== n * n)
    throw new Error(`logAbsDet: expected ${n * n} entries, got ${entries.length}`);
  const lu = eliminate(matrix(n, n, entries));
  return lu.steps < n ? -Infinity : sumLogPivots(lu.upper);
}

/**
 * log |det A| as logAbsDet, but NaN, not a number computed from NaN or infinite pivots, when A is not square
 * or a pivot before the first zero one is not finite: a probe must not hide a failure.
 */
export function logAbsDetOrNaN(a: Matrix64): number {
  if (a.rows !== a.cols) return NaN;
  const n = a.rows;
  const lu = eliminate(a);
  for (let i = 0; i < lu.steps; i++) if (!Number.isFinite(lu.upper.data[i * n + i]!)) return NaN;
  return lu.steps < n ? -Infinity : sumLogPivots(lu.upper);
}

function sumLogPivots(upper: Matrix64): number {
  const n = upper.rows;
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += Math.log(Math.abs(upper.data[i * n + i]!));
  return logDet;
}

/**
 * Gaussian elimination with partial pivoting, stopped at the first zero pivot column: `steps` columns are
 * eliminated, n exactly when A is nonsingular, and the first `steps` diagonal entries of `upper` are pivots.
 */
function eliminate(a: Matrix64): LU & { steps: number } {
  const n = a.rows;
  const u = matrix(n, n, a.data);
  const lower = identity(n);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++)
      if (Math.abs(u.data[i * n + k]!) > Math.abs(u.data[pivot * n + k]!)) pivot = i;
    if (u.data[pivot * n + k] === 0) return { perm, lower, upper: u, steps: k };
    if (pivot !== k) {
      swapRows(u, k, pivot);
      [perm[k], perm[pivot]] = [perm[pivot]!, perm[k]!];
      // Swap the already computed multipliers too, so L stays consistent with the permuted rows.
      for (let j = 0; j < k; j++) {
        const t = lower.data[k * n + j]!;
        lower.data[k * n + j] = lower.data[pivot * n + j]!;
        lower.data[pivot * n + j] = t;
      }
    }
    for (let i = k + 1; i < n; i++) {
      const f = u.data[i * n + k]! / u.data[k * n + k]!;
      lower.data[i * n + k] = f;
      for (let j = k; j < n; j++) u.data[i * n + j]! -= f * u.data[k * n + j]!;
    }
  }
  return { perm, lower, upper: u, steps: n };
}

function swapRows(m: Matrix64, r1: number, r2: number): void {
  for (let j = 0; j < m.cols; j++) {
    const t = m.data[r1 * m.cols + j]!;
    m.data[r1 * m.cols + j] = m.data[r2 * m.cols + j]!;
    m.data[r2 * m.cols + j] = t;
  }
}

/** Inverse of a lower-triangular matrix by forward substitution, column by column. */
export function invertLower(l: Matrix64): Matrix64 {
  const n = l.rows;
  const inv = matrix(n, n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l.data[i * n + k]! * inv.data[k * n + c]!;
      inv.data[i * n + c] = s / l.data[i * n + i]!;
    }
  }
  return inv;
}

/** Inverse of an upper-triangular matrix by back substitution, column by column. */
export function invertUpper(u: Matrix64): Matrix64 {
  const n = u.rows;
  const inv = matrix(n, n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i >= 0; i--) {
      let s = i === c ? 1 : 0;
      for (let k = i + 1; k <= c; k++) s -= u.data[i * n + k]! * inv.data[k * n + c]!;
      inv.data[i * n + c] = s / u.data[i * n + i]!;
    }
  }
  return inv;
}

export interface PowerIterationOptions {
  maxIterations?: number;
  tolerance?: number;
}

/**
 * sigma_max(W) by power iteration on W^T W (products with W and W^T, no Gram matrix), until the estimate
 * settles to `tolerance` (relative); it approaches sigma_max from below. The start vector is fixed, so results
 * are reproducible across runs.
 */
export function spectralNorm(m: Matrix64, options: PowerIterationOptions = {}): number {
  const { rows, cols, data } = m;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-12;
  if (rows === 0 || cols === 0) return 0;
  let v = new Float64Array(cols);
  // A non-symmetric start avoids being orthogonal to the top singular vector for structured matrices.
  for (let j = 0; j < cols; j++) v[j] = 1 + j / cols;
  normalise(v);
  const u = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < maxIterations; it++) {
    // u = W v
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += data[i * cols + j]! * v[j]!;
      u[i] = s;
    }
    // w = W^T u
    const w = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const ui = u[i]!;
      for (let j = 0; j < cols; j++) w[j] = w[j]! + data[i * cols + j]! * ui;
    }
    const norm = normalise(w);
    if (norm === 0) return 0;
    const next = Math.sqrt(norm);
    v = w;
    if (Math.abs(next - sigma) <= tolerance * next) return next;
    sigma = next;
  }
  return sigma;
}

/** Scales v to unit length in place (a zero vector stays zero); returns its former length. */
function normalise(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return n;
}

/**
 * Singular values, largest first, by one-sided Jacobi (see jacobiColumnNorms). NaN in, NaN out: any
 * non-finite entry gives min(rows, cols) NaNs.
 */
export function singularValues(a: Matrix64, maxSweeps = 60): number[] {
  if (a.data.some((v) => !Number.isFinite(v))) return new Array<number>(Math.min(a.rows, a.cols)).fill(NaN);
  return jacobiColumnNorms(a, maxSweeps).sort((x, y) => y - x);
}

/** [min, max] over the min(rows, cols) singular values, by one-sided Jacobi (see jacobiColumnNorms). */
export function singularValueRange(a: Matrix64, maxSweeps = 60): [number, number] {
  let lo = Infinity;
  let hi = 0;
  for (const sigma of jacobiColumnNorms(a, maxSweeps)) {
    lo = Math.min(lo, sigma);
    hi = Math.max(hi, sigma);
  }
  return [lo, hi];
}

/**
 * The singular values, unsorted, by one-sided Jacobi (Hestenes): rotate column pairs until they are
 * orthogonal; the column norms are then the singular values. Accurate for small singular values too, which
 * the normal-equations route (eigenvalues of A^T A) would square away.
 */
function jacobiColumnNorms(a: Matrix64, maxSweeps: number): number[] {
  // Work on the orientation with fewer columns: same singular values, fewer pairs.
  const m = a.rows >= a.cols ? matrix(a.rows, a.cols, a.data) : transpose(a);
  const { rows, cols, data } = m;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = data[i * cols + p]!;
          const y = data[i * cols + q]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const x = data[i * cols + p]!;
          const y = data[i * cols + q]!;
          data[i * cols + p] = c * x - s * y;
          data[i * cols + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms: number[] = [];
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += data[i * cols + j]! ** 2;
    norms.push(Math.sqrt(s));
  }
  return norms;
}
