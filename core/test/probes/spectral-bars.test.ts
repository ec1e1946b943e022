import * as tf from '@tensorflow/tfjs';
import { Matrix, SVD } from 'ml-matrix';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { jacobianAt } from '../../src/probes/jacobian';
import { Rng } from '../../src/probes/rng';
import { runProbes } from '../../src/probes/run-probes';
import { largestSingularValues, type SpectralMethod } from '../../src/probes/spectral';
import { emptyPasses, flatMaps } from '../../src/probes/target';
import { linearTarget, withSingularValues } from './helpers';

const D = 16;
/** Two close top singular values: power iteration gains only a factor (9.9/10)^2 per step. */
const SPECTRUM = [10, 9.9, 5, 4, 3, 2.5, 2, 1.5, 1.2, 1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2];
const TOL = 1e-3;

/** The float64 SVD of the kernel as tfjs holds it (rounded to float32): the truth the bars must contain. */
function trueSigmaMax(a: number[][]): number {
  const rounded = a.map((row) => Array.from(Float32Array.from(row)));
  return new SVD(new Matrix(rounded), { autoTranspose: true }).diagonal[0]!;
}

describe('spectral error bars on a map with close top singular values', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const method of ['power', 'lanczos'] as SpectralMethod[])
    for (const maxIter of [5, 15, 300])
      it(`${method}, ${maxIter} iterations: the bar contains sigma_max; converged only when it is within ${TOL}`, async () => {
        const a = withSingularValues(SPECTRUM, 2);
        const truth = trueSigmaMax(a);
        const passes = emptyPasses();
        const maps = flatMaps(tf, linearTarget(a), passes);
        const x = tf.tensor2d(new Rng(3).normals(4 * D), [4, D]);
        const jac = jacobianAt(tf, maps.forward, x, D, passes);
        const est = await largestSingularValues(tf, jac, new Rng(11), { method, maxIter, tol: TOL });
        x.dispose();
        for (let i = 0; i < 4; i++) {
          const s = est.sigmaMax[i]!;
          // 'Converged' means accurate to the tolerance: a stalled estimate must not claim it.
          if (est.converged[i])
            assert.ok(Math.abs(s - truth) <= TOL * truth, `converged but off by ${Math.abs(s / truth - 1)}`);
          const [lo, hi] = [est.sigmaMaxLower[i]!, est.sigmaMaxUpper[i]!];
          const where = `point ${i}: ${s} in [${lo}, ${hi}], truth ${truth}`;
          if (est.converged[i])
            assert.ok(hi - lo <= TOL * s, `converged with a bar of ${(hi - lo) / s}: ${where}`);
          assert.ok(lo <= truth && truth <= hi, where);
        }
        // Lanczos resolves 10 from 9.9 and certifies it; power iteration's gap-free bar is still over 1% wide.
        if (method === 'lanczos' && maxIter === 300)
          assert.ok(est.converged.every(Boolean), `${est.iterations}`);
        if (method === 'power') assert.ok(!est.converged.some(Boolean));
      });

  it('forward-lipschitz reports the bar beside sigma_max', async () => {
    const a = withSingularValues(SPECTRUM, 2);
    const truth = trueSigmaMax(a);
    const data = tf.tensor2d(new Rng(7).normals(4 * D), [4, D]);
    const [r] = await runProbes(linearTarget(a), data, {
      tf,
      probes: ['forward-lipschitz'],
      seed: 1,
      deadline: Date.now() + 60_000,
      settings: { method: 'lanczos', maxIter: 300, pairSteps: 0 },
    });
    data.dispose();
    const value = (id: string): number => r!.figures.find((f) => f.id === id)?.value ?? NaN;
    assert.ok(
      value('sigma-max-lower') <= truth && truth <= value('sigma-max-upper'),
      JSON.stringify(r!.figures),
    );
    assert.equal(value('converged'), 1);
    const table = r!.tables.find((t) => t.id === 'points')!;
    assert.deepEqual(table.columns.slice(4), ['sigma_max_lo', 'sigma_max_hi']);
  });

  for (const withInverse of [true, false])
    it(`inverse-lipschitz ${withInverse ? '(inverse Jacobian)' : '(1 / sigma_min)'} reports a bar containing 1 / sigma_min`, async () => {
      const a = withSingularValues(SPECTRUM, 2);
      const rounded = a.map((row) => Array.from(Float32Array.from(row)));
      const svd = new SVD(new Matrix(rounded), { autoTranspose: true }).diagonal;
      const truth = 1 / svd[svd.length - 1]!;
      const { inverse, ...forwardOnly } = linearTarget(a);
      const data = tf.tensor2d(new Rng(7).normals(4 * D), [4, D]);
      const [r] = await runProbes(withInverse ? { ...forwardOnly, inverse } : forwardOnly, data, {
        tf,
        probes: ['inverse-lipschitz'],
        seed: 1,
        deadline: Date.now() + 60_000,
        settings: { maxIter: 300 },
      });
      data.dispose();
      const value = (id: string): number => r!.figures.find((f) => f.id === id)?.value ?? NaN;
      const [lo, hi] = [value('inverse-lipschitz-lower'), value('inverse-lipschitz-upper')];
      assert.ok(lo <= truth && truth <= hi, `${truth} in [${lo}, ${hi}]`);
      assert.ok(hi - lo <= 1e-3 * value('inverse-lipschitz'));
      assert.equal(value('converged'), 1);
    });

  it('lanczos certifies a wide map (fewer outputs than inputs) once its output space is spanned', async () => {
    // 12 -> 4 with singular values 1, 0.999, 0.998, 0.997: no residual separates them in 4 steps.
    const rng = new Rng(4);
    const [dIn, dOut] = [12, 4];
    const top = withSingularValues([1, 0.999, 0.998, 0.997, ...new Array<number>(dIn - dOut).fill(0.5)], 3);
    const a = top.slice(0, dOut);
    const truth = new SVD(new Matrix(a.map((row) => Array.from(Float32Array.from(row)))), {
      autoTranspose: true,
    }).diagonal[0]!;
    const at = tf.tensor2d(a).transpose();
    const x = tf.tensor2d(rng.normals(3 * dIn), [3, dIn]);
    const f = (v: tf.Tensor2D): tf.Tensor2D => tf.matMul(v, at as tf.Tensor2D);
    const est = await largestSingularValues(tf, jacobianAt(tf, f, x, dOut, emptyPasses()), new Rng(5), {
      method: 'lanczos',
      maxIter: 40,
      tol: TOL,
    });
    x.dispose();
    at.dispose();
    assert.ok(est.converged.every(Boolean), `${est.iterations}`);
    est.sigmaMax.forEach((_, i) =>
      assert.ok(est.sigmaMaxLower[i]! <= truth && truth <= est.sigmaMaxUpper[i]!),
    );
  });

  for (const method of ['power', 'lanczos'] as SpectralMethod[])
    it(`${method}: the lower end comes from the exact reverse product, not the finite difference`, async () => {
      // exp(10 x) per coordinate: central differences overestimate its slope by h^2 f''' / 6 = 4e-4 relative.
      const a = 10;
      const x = tf.tensor2d(new Rng(3).normals(3 * D, 0.1), [3, D]);
      const f = (v: tf.Tensor2D): tf.Tensor2D => tf.exp(tf.mul(v, a)) as tf.Tensor2D;
      const truth = Array.from({ length: 3 }, (_, i) =>
        Math.max(...Array.from(x.arraySync()[i]!, (xi) => a * Math.exp(a * xi))),
      );
      const est = await largestSingularValues(tf, jacobianAt(tf, f, x, D, emptyPasses()), new Rng(5), {
        method,
        maxIter: 60,
        tol: TOL,
      });
      x.dispose();
      truth.forEach((t, i) => {
        const [lo, hi] = [est.sigmaMaxLower[i]!, est.sigmaMaxUpper[i]!];
        assert.ok(lo <= t && t <= hi, `point ${i}: ${t} in [${lo}, ${hi}] (estimate ${est.sigmaMax[i]})`);
      });
    });
});
