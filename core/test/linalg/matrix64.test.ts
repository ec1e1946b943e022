import { LuDecomposition, Matrix, SVD } from 'ml-matrix';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bidiagonal,
  invertLower,
  invertUpper,
  logAbsDet,
  logAbsDetOrNaN,
  luDecompose,
  matMul,
  matrix,
  type Matrix64,
  randomRotation,
  singularValueRange,
  singularValues,
  spectralNorm,
  transpose,
} from '../../src/linalg/matrix64';
import { SeededRandom } from '../../src/layers/seeded-random';

const toMl = (m: Matrix64) =>
  new Matrix(
    Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols))),
  );
const maxAbsDiff = (a: Matrix64, b: Matrix64) => Math.max(...a.data.map((v, i) => Math.abs(v - b.data[i]!)));
const gaussian = (rows: number, cols: number, seed: number) =>
  matrix(rows, cols, new SeededRandom(seed).normalArray(rows * cols));
const rotation = (n: number, seed: number) => randomRotation(n, new SeededRandom(seed));

describe('matrix64', () => {
  it('randomRotation is orthogonal and reproducible', () => {
    const q = rotation(30, 1);
    const qtq = matMul(transpose(q), q);
    const eye = matrix(30, 30);
    for (let i = 0; i < 30; i++) eye.data[i * 30 + i] = 1;
    assert.ok(maxAbsDiff(qtq, eye) < 1e-13);
    assert.deepEqual(rotation(30, 1).data, q.data);
  });

  it('LU with pivoting reconstructs the rows of A and triangular inverses are exact', () => {
    const a = gaussian(25, 25, 2);
    const { perm, lower, upper } = luDecompose(a);
    const lu = matMul(lower, upper);
    const permuted = matrix(25, 25);
    perm.forEach((row, i) => permuted.data.set(a.data.subarray(row * 25, row * 25 + 25), i * 25));
    assert.ok(maxAbsDiff(lu, permuted) < 1e-12);
    const eye = matrix(25, 25);
    for (let i = 0; i < 25; i++) eye.data[i * 25 + i] = 1;
    assert.ok(maxAbsDiff(matMul(invertLower(lower), lower), eye) < 1e-10);
    assert.ok(maxAbsDiff(matMul(upper, invertUpper(upper)), eye) < 1e-10);
  });

  it('singular values match ml-matrix SVD, including an ill-conditioned matrix', () => {
    for (const [rows, cols, seed] of [
      [12, 12, 3],
      [20, 7, 4],
      [7, 20, 5],
    ] as const) {
      const a = gaussian(rows, cols, seed);
      const sv = new SVD(toMl(a), { autoTranspose: true }).diagonal;
      const [lo, hi] = singularValueRange(a);
      assert.ok(Math.abs(hi - Math.max(...sv)) < 1e-10 * hi);
      assert.ok(Math.abs(lo - Math.min(...sv)) < 1e-9 * hi);
      assert.ok(Math.abs(spectralNorm(a) - hi) < 1e-8 * hi);
      const sorted = singularValues(a);
      assert.deepEqual([sorted.at(-1), sorted[0]], [lo, hi]);
      assert.deepEqual(
        sorted,
        [...sorted].sort((x, y) => y - x),
      );
    }
    const diag = { rows: 2, cols: 2, data: Float64Array.from([3, 0, 0, -4]) };
    assert.ok(Math.abs(spectralNorm(diag) - 4) < 1e-9);
    // diag(1, 1e-6): squaring would lose sigma_min to rounding; one-sided Jacobi keeps it.
    const [lo, hi] = singularValueRange(
      matMul(matMul(rotation(2, 6), matrix(2, 2, [1, 0, 0, 1e-6])), rotation(2, 7)),
    );
    assert.ok(Math.abs(hi - 1) < 1e-12 && Math.abs(lo - 1e-6) < 1e-12, `${lo} ${hi}`);
  });

  it('logAbsDet matches ml-matrix, is -Infinity for a singular matrix and checks its size', () => {
    for (const n of [1, 5, 16]) {
      const a = gaussian(n, n, 10 + n);
      const det = new LuDecomposition(toMl(a)).determinant;
      assert.ok(Math.abs(logAbsDet(a.data, n) - Math.log(Math.abs(det))) < 1e-12 * Math.max(1, n));
    }
    // 1e200 * 1e200 overflows a plain determinant; the sum of log pivots does not.
    assert.ok(Math.abs(logAbsDet([1e200, 0, 0, 1e200], 2) - 400 * Math.log(10)) < 1e-9);
    assert.equal(logAbsDet([1, 2, 2, 4], 2), -Infinity);
    assert.throws(() => logAbsDet([1, 2, 3], 2), /expected 4 entries, got 3/);
  });

  it('the probe variants let NaN through: logAbsDetOrNaN, singularValues', () => {
    const a = gaussian(6, 6, 20);
    assert.equal(logAbsDetOrNaN(a), logAbsDet(a.data, 6));
    assert.equal(logAbsDetOrNaN(matrix(2, 2, [1, 2, 2, 4])), -Infinity);
    assert.ok(Number.isNaN(logAbsDetOrNaN(matrix(2, 3))));
    // diag(Inf, 1): the layers' logAbsDet sums log |pivot| to Infinity; a probe reports NaN.
    assert.equal(logAbsDet([Infinity, 0, 0, 1], 2), Infinity);
    assert.ok(Number.isNaN(logAbsDetOrNaN(matrix(2, 2, [Infinity, 0, 0, 1]))));
    assert.deepEqual(singularValues(matrix(3, 2, [1, NaN, 0, 0, 0, 0])), [NaN, NaN]);
  });

  it('bidiagonal places alphas on the diagonal and betas above it', () => {
    assert.deepEqual(Array.from(bidiagonal([1, 2, 3], [4, 5]).data), [1, 4, 0, 0, 2, 5, 0, 0, 3]);
    assert.deepEqual(singularValues(bidiagonal([2, 1], [0])), [2, 1]);
  });
});
