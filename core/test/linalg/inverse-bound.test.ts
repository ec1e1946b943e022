/** inverseNormBound against float64 SVDs (ml-matrix): an upper bound of 1 / sigma_min, tight when X is good. */
import { Matrix, SVD } from 'ml-matrix';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inverseNormBound } from '../../src/linalg/inverse-bound';
import { matrix, type Matrix64 } from '../../src/linalg/matrix64';
import { SeededRandom } from '../../src/layers/seeded-random';

function sigmaMin(a: Matrix64): number {
  const m = new Matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j]!);
  return Math.min(
    ...new SVD(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal,
  );
}

function inverseOf(a: Matrix64): Matrix64 {
  const m = new Matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j]!);
  return matrix(a.rows, a.cols, new SVD(m).inverse().to2DArray().flat());
}

describe('inverseNormBound', () => {
  it('bounds ||A^-1|| from above on random and ill-conditioned matrices, tightly for a good inverse', () => {
    const rng = new SeededRandom(3);
    for (let t = 0; t < 60; t++) {
      const n = 1 + (t % 12);
      const a = matrix(n, n, rng.normalArray(n * n));
      // Every third matrix: one column scaled down, condition numbers up to ~1e8.
      if (t % 3 === 0) for (let i = 0; i < n; i++) a.data[i * n] = a.data[i * n]! * 10 ** -(t % 8);
      const truth = 1 / sigmaMin(a);
      const bound = inverseNormBound(a, inverseOf(a));
      assert.ok(bound >= truth, `${t}: ${bound} < ${truth}`);
      assert.ok(bound <= truth * (1 + 1e-6), `${t}: loose ${bound / truth}`);
    }
  });

  it('is Infinity when X is not close enough to an inverse to certify anything, and for a singular A', () => {
    const a = matrix(2, 2, [2, 0, 0, 1]);
    assert.equal(inverseNormBound(a, matrix(2, 2, [0, 0, 0, 0])), Infinity);
    assert.equal(inverseNormBound(matrix(2, 2, [1, 1, 1, 1]), matrix(2, 2, [1, 0, 0, 1])), Infinity);
    // A rough inverse still certifies, loosely: X = 0.9 A^-1 gives R = 0.1 I, of Frobenius norm 0.1 sqrt(2).
    const loose = inverseNormBound(a, matrix(2, 2, [0.45, 0, 0, 0.9]));
    assert.ok(Math.abs(loose - 0.9 / (1 - 0.1 * Math.SQRT2)) < 1e-9, String(loose));
  });
});
