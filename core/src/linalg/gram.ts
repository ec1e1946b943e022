/**
 * Certified upper bounds of spectral norms by Gram iteration (Delattre, Barthelemy, Araujo, Allauzen, ICML 2023):
 * G_0 = W, G_{t+1} = G_t^H G_t, and ||W||_2 <= ||G_t||_F^(1 / 2^t) for every t, with super-linear convergence
 * once the top singular value separates. Each G_t is rescaled to unit Frobenius norm and the log of the scale is
 * tracked, so nothing overflows. Plain float64, no tfjs (the bounds run in the language server).
 *
 * Rounding: a computed product H^H H differs from the exact one by at most n u ||H||_F^2 = n u in Frobenius norm
 * (u = 2^-53, n the inner dimension), while ||H^H H||_F >= ||H||_F^2 / n = 1 / n; each step's Frobenius factor is
 * therefore inflated by (1 + 2 n^2 u) plus a few ulps for the norm itself, so the bound holds for the exact W.
 */
import { type Matrix64 } from './matrix64';

const U = 2 ** -53;

export interface GramBound {
  /** The certified upper bound of sigma_max. */
  bound: number;
  /** Gram steps taken. */
  iterations: number;
}

export interface GramOptions {
  /** Maximum Gram steps (default 48 for real matrices whose smaller side is <= 64, else 12). */
  maxIterations?: number;
  /** Stop when successive bounds agree to this relative gap (default 1e-12). */
  tolerance?: number;
}

/**
 * Certified upper bound of the spectral norm of a real matrix. Works on the smaller side's Gram matrix, so the
 * cost is O(min(m, n)^3) per step after one O(m n min(m, n)) product.
 */
export function gramSpectralBound(w: Matrix64, options: GramOptions = {}): GramBound {
  return gramComplexBound(w.rows, w.cols, w.data, undefined, options);
}

/**
 * As gramSpectralBound, for a complex matrix given by its real and imaginary parts (row-major, rows x cols);
 * `im` undefined means real. Used per frequency for convolutions.
 */
export function gramComplexBound(
  rows: number,
  cols: number,
  re: ArrayLike<number>,
  im: ArrayLike<number> | undefined,
  options: GramOptions = {},
): GramBound {
  const tolerance = options.tolerance ?? 1e-12;
  if (rows === 0 || cols === 0) return { bound: 0, iterations: 0 };
  for (let i = 0; i < rows * cols; i++) {
    if (!Number.isFinite(re[i]!) || (im !== undefined && !Number.isFinite(im[i]!)))
      return { bound: NaN, iterations: 0 };
  }
  // First step: G_1 = W^H W (or W W^H, same nonzero spectrum) on the smaller side, n x n.
  const wide = cols > rows;
  const n = wide ? rows : cols;
  const inner = wide ? cols : rows;
  const at = (i: number, k: number): number => (wide ? i * cols + k : k * cols + i);
  // A flat spectrum (a rotation, as invertible linear maps start) converges slowest: the bound after t steps is
  // sigma_max n^(1 / 2^(t+1)), 1.0002 for n = 6 after 12 steps. Small real matrices are cheap, so they run until
  // the bound settles; large ones, and the many per-frequency matrices of a convolution, stop at 12.
  const maxIterations = options.maxIterations ?? (im === undefined && n <= 64 ? 48 : 12);
  const f0 = frobenius(re, im, rows * cols);
  if (f0 === 0) return { bound: 0, iterations: 0 };
  // The bound after t steps is f0 * exp(ell_t), ell_t = sum of log(factor_s) / 2^s: a small number, so exp()
  // keeps full relative precision (exp of log f0 itself would lose |log f0| ulps).
  let ell = 0;
  const toBound = (l: number): number => f0 * Math.exp(l) * (1 + 4 * U * (2 + Math.abs(l)));
  let best = toBound(0);
  let gr: Float64Array = new Float64Array(n * n);
  let gi: Float64Array | undefined = im === undefined ? undefined : new Float64Array(n * n);
  // G_1 / f0^2: entries sum_k conj(a_ki) a_kj over the inner dimension (a = W oriented as inner x n).
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < inner; k++) {
        const ai = at(i, k);
        const aj = at(j, k);
        const xr = re[ai]! / f0;
        const yr = re[aj]! / f0;
        if (im === undefined) {
          sr += xr * yr;
        } else {
          const xi = im[ai]! / f0;
          const yi = im[aj]! / f0;
          sr += xr * yr + xi * yi;
          si += xr * yi - xi * yr;
        }
      }
      gr[i * n + j] = sr;
      gr[j * n + i] = sr;
      if (gi !== undefined) {
        gi[i * n + j] = si;
        gi[j * n + i] = -si;
      }
    }
  }
  let scale = 2; // 2^t
  let iterations = 1;
  let inflate = 2 * inner * inner * U + 8 * U;
  for (;;) {
    const f = frobenius(gr, gi, n * n);
    if (f === 0) return { bound: 0, iterations };
    ell += (Math.log(f) + Math.log1p(inflate)) / scale;
    const bound = toBound(ell);
    const gap = Math.abs(best - bound);
    best = Math.min(best, bound); // every iterate is a bound; keep the smallest
    if (iterations >= maxIterations || gap <= tolerance * bound) return { bound: best, iterations };
    // G <- (G/f)^H (G/f); G is Hermitian, so G^H G = G G.
    const next = hermitianSquare(gr, gi, n, f);
    gr = next.re;
    gi = next.im;
    scale *= 2;
    iterations++;
    inflate = 2 * n * n * U + 8 * U;
  }
}

function frobenius(re: ArrayLike<number>, im: ArrayLike<number> | undefined, count: number): number {
  // Scaled sum of squares: no overflow for large entries.
  let max = 0;
  for (let i = 0; i < count; i++) {
    max = Math.max(max, Math.abs(re[i]!));
    if (im !== undefined) max = Math.max(max, Math.abs(im[i]!));
  }
  if (max === 0) return 0;
  let s = 0;
  for (let i = 0; i < count; i++) {
    s += (re[i]! / max) ** 2;
    if (im !== undefined) s += (im[i]! / max) ** 2;
  }
  return max * Math.sqrt(s);
}

/** (G / f)^2 for a Hermitian n x n G (its square is Hermitian too: only the upper triangle is computed). */
function hermitianSquare(
  gr: Float64Array,
  gi: Float64Array | undefined,
  n: number,
  f: number,
): { re: Float64Array; im: Float64Array | undefined } {
  const ar = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) ar[i] = gr[i]! / f;
  const ai = gi === undefined ? undefined : gi.map((v) => v / f);
  const re = new Float64Array(n * n);
  const im = ai === undefined ? undefined : new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < n; k++) {
        const xr = ar[i * n + k]!;
        const yr = ar[k * n + j]!;
        if (ai === undefined) {
          sr += xr * yr;
        } else {
          const xi = ai[i * n + k]!;
          const yi = ai[k * n + j]!;
          sr += xr * yr - xi * yi;
          si += xr * yi + xi * yr;
        }
      }
      re[i * n + j] = sr;
      re[j * n + i] = sr;
      if (im !== undefined) {
        im[i * n + j] = si;
        im[j * n + i] = -si;
      }
    }
  }
  return { re, im };
}
