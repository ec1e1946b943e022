/**
 * Certified upper bound of ||A^-1||_2 from an approximate inverse X (Neumann series): with R = I - X A and
 * ||R|| < 1, A^-1 = (I - R)^-1 X, so ||A^-1|| <= ||X|| / (1 - ||R||). ||X|| is a Gram bound; ||R|| is bounded by
 * the Frobenius norm of R computed in float64 plus the rounding of that product (each entry of X A is off by at
 * most gamma_n (|X| |A|)_ij, gamma_n = n u / (1 - n u), and the subtraction from I by u), so the bound holds for
 * the exact A even where X is a poor inverse (then it is loose, or Infinity when ||R|| >= 1).
 */
import { gramSpectralBound } from './gram';
import { type Matrix64, matMul } from './matrix64';

const U = 2 ** -53;

function frobenius(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i]! * data[i]!;
  return Math.sqrt(s);
}

/** Certified upper bound of ||A^-1||_2 for a square A, given X ~ A^-1; Infinity when it cannot certify one. */
export function inverseNormBound(a: Matrix64, x: Matrix64): number {
  const n = a.rows;
  if (a.cols !== n || x.rows !== n || x.cols !== n)
    throw new Error('inverseNormBound: square matrices needed');
  if (![...a.data, ...x.data].every(Number.isFinite)) return Infinity;
  const xa = matMul(x, a);
  const r = xa.data.map((v, k) => (k % (n + 1) === 0 ? 1 - v : -v));
  const gamma = ((n + 2) * U) / (1 - (n + 2) * U);
  // || |X| |A| ||_F <= ||X||_F ||A||_F; the I term covers the subtraction's rounding; frobenius() is itself
  // accurate to (n^2 + 2) u relative, which the last factor absorbs.
  const rounding = gamma * (frobenius(x.data) * frobenius(a.data) + Math.sqrt(n));
  const delta = (frobenius(r) + rounding) * (1 + (n * n + 4) * U);
  if (!(delta < 1)) return Infinity;
  return (gramSpectralBound(x).bound / (1 - delta)) * (1 + 4 * U);
}
