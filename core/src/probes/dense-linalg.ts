/**
 * Small dense linear algebra in float64 on the JS side: the bidiagonal matrices of Lanczos and explicit
 * Jacobians of small inputs are tiny, and float64 here keeps the error of the probe, not of the solver.
 */

/** Row-major matrix. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  const m: Mat = { rows, cols, data: new Float64Array(rows * cols) };
  if (data !== undefined) for (let i = 0; i < rows * cols; i++) m.data[i] = data[i]!;
  return m;
}

/**
 * Singular values, largest first, by one-sided Jacobi (Hestenes): orthogonalise column pairs until they are
 * orthogonal; the column norms are then the singular values. Accurate for small singular values too, which
 * the normal-equations route (eig of A^T A) would square away. NaN in, NaN out.
 */
export function singularValues(a: Mat, maxSweeps = 60): number[] {
  // Work on the orientation with fewer columns: same singular values, fewer pairs.
  const t = a.cols > a.rows;
  const m = t ? a.cols : a.rows;
  const n = t ? a.rows : a.cols;
  const u = new Float64Array(m * n);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) {
      const v = a.data[i * a.cols + j]!;
      if (t) u[j * n + i] = v;
      else u[i * n + j] = v;
    }
  if (u.some((v) => !Number.isFinite(v))) return new Array<number>(n).fill(NaN);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u[i * n + p]!;
          const uq = u[i * n + q]!;
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const tan = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + tan * tan);
        const s = c * tan;
        for (let i = 0; i < m; i++) {
          const up = u[i * n + p]!;
          const uq = u[i * n + q]!;
          u[i * n + p] = c * up - s * uq;
          u[i * n + q] = s * up + c * uq;
        }
      }
    if (!rotated) break;
  }
  const sv: number[] = [];
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += u[i * n + j]! ** 2;
    sv.push(Math.sqrt(s));
  }
  return sv.sort((x, y) => y - x);
}

/** log |det A| by LU with partial pivoting; -Infinity for a singular matrix. */
export function logAbsDet(a: Mat): number {
  if (a.rows !== a.cols) return NaN;
  const n = a.rows;
  const lu = Float64Array.from(a.data);
  let acc = 0;
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i * n + k]!) > Math.abs(lu[piv * n + k]!)) piv = i;
    const pv = lu[piv * n + k]!;
    if (pv === 0) return -Infinity;
    if (!Number.isFinite(pv)) return NaN;
    if (piv !== k)
      for (let j = 0; j < n; j++) {
        const tmp = lu[k * n + j]!;
        lu[k * n + j] = lu[piv * n + j]!;
        lu[piv * n + j] = tmp;
      }
    acc += Math.log(Math.abs(pv));
    for (let i = k + 1; i < n; i++) {
      const f = lu[i * n + k]! / pv;
      for (let j = k + 1; j < n; j++) lu[i * n + j] = lu[i * n + j]! - f * lu[k * n + j]!;
    }
  }
  return acc;
}

/** Upper-bidiagonal k x k matrix from Lanczos coefficients (alphas on the diagonal, betas above it). */
export function bidiagonal(alphas: readonly number[], betas: readonly number[]): Mat {
  const k = alphas.length;
  const b = mat(k, k);
  for (let i = 0; i < k; i++) {
    b.data[i * k + i] = alphas[i]!;
    if (i + 1 < k) b.data[i * k + i + 1] = betas[i]!;
  }
  return b;
}

/** Quantile of finite values (linear interpolation); NaN when none are finite. */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

/** Max that lets NaN through (a NaN anywhere means the figure is NaN): probes must not hide failures. */
export function maxOrNaN(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}
