import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';
import { gramComplexBound, gramSpectralBound } from '../../src/linalg/gram';
import { type Matrix64, matMul, matrix, randomRotation } from '../../src/linalg/matrix64';
import { SeededRandom } from '../../src/layers/seeded-random';

/** Reference: sigma_max by ml-matrix's float64 SVD (independent of matrix64 and of Gram iteration). */
function svdMax(m: Matrix64): number {
  const a = new MlMatrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) a.set(i, j, m.data[i * m.cols + j]!);
  return Math.max(...new SingularValueDecomposition(a, { autoTranspose: true }).diagonal);
}

/** U diag(s) V^T with random rotations: a matrix with prescribed singular values. */
function withSingularValues(rows: number, cols: number, s: number[], rng: SeededRandom): Matrix64 {
  const u = randomRotation(rows, rng);
  const v = randomRotation(cols, rng);
  const d = matrix(rows, cols);
  s.forEach((x, i) => (d.data[i * cols + i] = x));
  return matMul(matMul(u, d), v);
}

describe('Gram iteration bound', () => {
  const rng = new SeededRandom(7);
  // `tightAt`: the step from which the bound is within 1e-3. With r equal top singular values the bound tends
  // to r^(1 / 2^(t+1)) sigma_max, so multiplicity needs ~11 steps (3^(1/4096) = 1.00027), not 6.
  const cases: { name: string; m: Matrix64; tightAt?: number; scale?: number }[] = [];
  for (const [r, c] of [
    [5, 5],
    [12, 7],
    [7, 12],
    [40, 40],
    [64, 33],
  ] as const)
    cases.push({ name: `gaussian ${r}x${c}`, m: matrix(r, c, rng.normalArray(r * c)) });
  cases.push({
    name: 'near-equal top pair',
    m: withSingularValues(20, 20, [1, 1 - 1e-9, 0.5, 0.3], rng),
    tightAt: 11,
  });
  cases.push({ name: 'equal top pair', m: withSingularValues(16, 10, [2, 2, 2, 1e-3], rng), tightAt: 11 });
  cases.push({
    name: 'rank 1',
    m: (() => {
      const a = rng.normalArray(9);
      const b = rng.normalArray(6);
      return matrix(
        9,
        6,
        Array.from({ length: 54 }, (_, k) => a[Math.floor(k / 6)]! * b[k % 6]!),
      );
    })(),
  });
  cases.push({
    name: 'ill-conditioned (1e12)',
    m: withSingularValues(
      15,
      15,
      Array.from({ length: 15 }, (_, i) => 10 ** (-12 * (i / 14))),
      rng,
    ),
  });
  // The reference SVD is taken of the unscaled matrix (ml-matrix loses digits at 1e+-200), then scaled.
  const unit = rng.normalArray(36);
  cases.push({
    name: 'huge entries',
    m: matrix(
      6,
      6,
      Array.from(unit, (x) => x * 1e200),
    ),
    scale: 1e200,
  });
  cases.push({
    name: 'tiny entries',
    m: matrix(
      6,
      6,
      Array.from(unit, (x) => x * 1e-200),
    ),
    scale: 1e-200,
  });

  for (const { name, m, tightAt = 6, scale } of cases) {
    it(`${name}: never below sigma_max, within 1e-3 after ${tightAt} steps`, () => {
      const sigma =
        scale === undefined
          ? svdMax(m)
          : svdMax(
              matrix(
                m.rows,
                m.cols,
                m.data.map((x) => x / scale),
              ),
            ) * scale;
      for (let t = 1; t <= 12; t++) {
        const { bound } = gramSpectralBound(m, { maxIterations: t, tolerance: 0 });
        // 1e-14: the reference SVD's own rounding.
        assert.ok(bound >= sigma * (1 - 1e-14), `${name} t=${t}: ${bound} < ${sigma}`);
        if (t >= tightAt) assert.ok(bound <= sigma * (1 + 1e-3), `${name} t=${t}: ${bound} vs ${sigma}`);
      }
    });
  }

  it('complex matrices: bound >= sigma_max of the real 2n embedding', () => {
    const r = 6;
    const c = 4;
    const re = rng.normalArray(r * c);
    const im = rng.normalArray(r * c);
    // [[Re, -Im], [Im, Re]] has the singular values of Re + i Im, each twice.
    const big = matrix(2 * r, 2 * c);
    for (let i = 0; i < r; i++)
      for (let j = 0; j < c; j++) {
        const x = re[i * c + j]!;
        const y = im[i * c + j]!;
        big.data[i * 2 * c + j] = x;
        big.data[i * 2 * c + j + c] = -y;
        big.data[(i + r) * 2 * c + j] = y;
        big.data[(i + r) * 2 * c + j + c] = x;
      }
    const sigma = svdMax(big);
    const { bound } = gramComplexBound(r, c, re, im, { maxIterations: 8 });
    assert.ok(bound >= sigma && bound <= sigma * (1 + 1e-9), `${bound} vs ${sigma}`);
  });

  it('zero and non-finite matrices', () => {
    assert.equal(gramSpectralBound(matrix(3, 2)).bound, 0);
    assert.ok(Number.isNaN(gramSpectralBound(matrix(2, 2, [1, NaN, 0, 1])).bound));
  });
});
