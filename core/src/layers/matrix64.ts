/**
 * Dense float64 linear algebra in plain JS for the pieces tfjs lacks (LU, log-determinants, triangular
 * inverses, singular values). Sizes here are channel counts (up to a few hundred), so O(n^3) loops are fine.
 */
import { SeededRandom } from './seeded-random';

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

/** A Haar-ish random rotation: Gram-Schmidt on a seeded Gaussian matrix (columns orthonormalised twice). */
export function randomRotation(n: number, seed: number): Matrix64 {
  const rng = new SeededRandom(seed);
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

/** LU with partial pivoting: rows `perm` of A equal L U, i.e. A[perm[i], :] = (L U)[i, :]. */
export function luDecompose(a: Matrix64): LU {
  const lu = factorLU(a);
  if (lu === null) throw new Error('luDecompose: singular matrix');
  return lu;
}

/**
 * log |det A| for a row-major n x n matrix: the sum of log |pivot| of its LU factorization, so large products
 * do not overflow. -Infinity when A is singular. Jacobians of invertible blocks are small (d <= a few dozen),
 * so plain JS beats a tensor round trip.
 */
export function logAbsDet(entries: ArrayLike<number>, n: number): number {
  if (entries.length !== n * n)
    throw new Error(`logAbsDet: expected ${n * n} entries, got ${entries.length}`);
  const lu = factorLU(matrix(n, n, entries));
  if (lu === null) return -Infinity;
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += Math.log(Math.abs(lu.upper.data[i * n + i]!));
  return logDet;
}

interface LU {
  perm: number[];
  lower: Matrix64;
  upper: Matrix64;
}

/** The factorization of luDecompose, or null at a zero pivot column (A singular). */
function factorLU(a: Matrix64): LU | null {
  const n = a.rows;
  const u = matrix(n, n, a.data);
  const lower = identity(n);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++)
      if (Math.abs(u.data[i * n + k]!) > Math.abs(u.data[pivot * n + k]!)) pivot = i;
    if (u.data[pivot * n + k] === 0) return null;
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
  return { perm, lower, upper: u };
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

/**
 * Largest singular value by power iteration on A^T A, run until the Rayleigh quotient settles to `tol`
 * (relative). The Rayleigh quotient of a symmetric matrix converges quadratically, so the estimate is
 * tight even when the vector converges slowly; it approaches sigma_max from below.
 */
export function spectralNorm(a: Matrix64, tol = 1e-10, maxIter = 500): number {
  const gram = a.rows >= a.cols ? matMul(transpose(a), a) : matMul(a, transpose(a));
  const n = gram.rows;
  let v = new Float64Array(n).fill(1 / Math.sqrt(n));
  let lambda = 0;
  for (let it = 0; it < maxIter; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += gram.data[i * n + j]! * v[j]!;
      w[i] = s;
    }
    let norm = 0;
    let rayleigh = 0;
    for (let i = 0; i < n; i++) {
      norm += w[i]! ** 2;
      rayleigh += w[i]! * v[i]!;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    v = w.map((x) => x / norm);
    if (Math.abs(rayleigh - lambda) <= tol * Math.abs(rayleigh)) return Math.sqrt(Math.max(rayleigh, 0));
    lambda = rayleigh;
  }
  return Math.sqrt(Math.max(lambda, 0));
}

/**
 * All singular values by one-sided Jacobi (Hestenes) on the columns of A; accurate for small singular
 * values too, unlike eigenvalues of A^T A. Returns [min, max] over the min(rows, cols) singular values.
 */
export function singularValueRange(a: Matrix64, maxSweeps = 60): [number, number] {
  // Work on the orientation with fewer columns: same singular values, cheaper sweeps.
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
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
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
  let lo = Infinity;
  let hi = 0;
  for (let j = 0; j < cols; j++) {
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += data[i * cols + j]! ** 2;
    norm = Math.sqrt(norm);
    lo = Math.min(lo, norm);
    hi = Math.max(hi, norm);
  }
  return [lo, hi];
}
