import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fixedPointIterationCap, InvertibleResidual } from '../../src/layers/invertible-residual';
import { luDecompose, matrix } from '../../src/linalg/matrix64';
import { worstCaseResidualBlock } from '../helpers/worst-case-residual';

before(async () => {
  await tf.setBackend('cpu');
});

const D = 6;

/** The worst-case block of test/helpers/worst-case-residual.ts at c = 0.99. */
function worstCaseBlock(inverseTolerance?: number): InvertibleResidual {
  return worstCaseResidualBlock({ dim: D, coeff: 0.99, inverseTolerance });
}

/** x* with x* + g(x*) = y, g affine here: the float64 solve of (I + W_sn) x = y - b, W_sn read off the layer. */
function exactInverse(layer: InvertibleResidual, y: number[][]): number[][] {
  const [f0, fe] = tf.tidy(() => [
    (layer.apply(tf.zeros([1, D])) as tf.Tensor).arraySync() as number[][],
    (layer.apply(tf.eye(D)) as tf.Tensor).arraySync() as number[][],
  ]);
  const b = f0[0]!; // F(0) = g(0) = b
  // Row i of F(e_i) - b is row i of (I + W); the operator acts as x -> x (I + W) on row vectors.
  const a = matrix(D, D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) a.data[j * D + i] = fe[i]![j]! - b[j]!;
  const { perm, lower, upper } = luDecompose(a);
  return y.map((row) => {
    const rhs = perm.map((p) => row[p]! - b[p]!);
    const z = new Array<number>(D).fill(0);
    for (let i = 0; i < D; i++) {
      let s = rhs[i]!;
      for (let k = 0; k < i; k++) s -= lower.data[i * D + k]! * z[k]!;
      z[i] = s;
    }
    const x = new Array<number>(D).fill(0);
    for (let i = D - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < D; k++) s -= upper.data[i * D + k]! * x[k]!;
      x[i] = s / upper.data[i * D + i]!;
    }
    return x;
  });
}

describe('fixed-point inverse: iteration cap from the certified contraction', () => {
  it('the cap is 1 + ceil(log(tol / r1) / log L) with a margin, and the configured cap without L < 1', () => {
    const k = 1 + Math.ceil(Math.log(1e-6) / Math.log(0.99)); // 1376
    const cap = fixedPointIterationCap(0.99, 1e-6, 1, 100);
    assert.ok(cap >= k && cap <= k * 1.1 + 11, `${cap} vs ${k}`);
    assert.equal(fixedPointIterationCap(1, 1e-6, 1, 100), 100);
    assert.equal(fixedPointIterationCap(NaN, 1e-6, 1, 100), 100);
    assert.equal(fixedPointIterationCap(0.5, 1e-6, 1e-7, 100), 1);
  });

  it('reaches its tolerance for c = 0.99 on a worst-case branch (a scaled rotation), where 100 steps do not', () => {
    const layer = worstCaseBlock();
    const x0 = tf.randomNormal([8, D], 0, 1, 'float32', 12);
    const y = layer.apply(x0) as tf.Tensor2D;
    const x = layer.inverse(y);
    const report = layer.lastInverseReport();
    const yMax = Math.max(...(Array.from(tf.abs(y).dataSync()) as number[]));
    const tolerance = 1e-6 * Math.max(1, yMax);
    assert.ok(report.contraction <= 0.99 && report.contraction > 0.985, `L = ${report.contraction}`);
    assert.ok(report.converged && report.residual <= tolerance, JSON.stringify(report));
    assert.ok(report.iterations > 100, `the old fixed cap would have stopped: ${report.iterations}`);
    assert.ok(report.iterations <= report.cap);
    // |x_k - x*| <= L / (1 - L) |x_k - x_{k-1}| (2-norm per sample <= sqrt(d) max-abs) plus float32 rounding.
    const exact = exactInverse(layer, y.arraySync());
    const got = x.arraySync() as number[][];
    const L = report.contraction;
    const allowed = (L / (1 - L)) * Math.sqrt(D) * tolerance + 1e-5 * Math.max(1, yMax);
    let worst = 0;
    for (let i = 0; i < exact.length; i++)
      for (let j = 0; j < D; j++) worst = Math.max(worst, Math.abs(got[i]![j]! - exact[i]![j]!));
    assert.ok(worst <= allowed, `max |x - x*| = ${worst} > ${allowed}`);
    console.log(
      `c = 0.99 worst case: L = ${L.toFixed(6)}, ${report.iterations} iterations (cap ${report.cap}), ` +
        `residual ${report.residual.toExponential(2)} <= ${tolerance.toExponential(2)}, max |x - x*| ${worst.toExponential(2)}`,
    );
    tf.dispose([x0, y, x]);
  });

  it('reports non-convergence (converged: false at the cap) instead of passing silently', () => {
    // 1e-12 is below float32 resolution: the derived cap is reached with the residual above the tolerance.
    const layer = worstCaseBlock(1e-12);
    const y = tf.randomNormal([2, D], 0, 1, 'float32', 13);
    const x = layer.inverse(y);
    const report = layer.lastInverseReport();
    assert.equal(report.converged, false);
    assert.equal(report.iterations, report.cap);
    assert.ok(report.cap > 100 && report.residual > 1e-12, JSON.stringify(report));
    tf.dispose([y, x]);
  });
});
