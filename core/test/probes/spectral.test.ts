import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { jacobianAt } from '../../src/probes/jacobian';
import { Rng } from '../../src/probes/rng';
import { largestSingularValues, type SpectralMethod } from '../../src/probes/spectral';
import { emptyPasses, flatMaps } from '../../src/probes/target';
import { linearTarget, withSingularValues } from './helpers';

const spectrum = [8, 4, 3, 2, 1.5, 1.2, 1, 0.8, 0.6, 0.4, 0.3, 0.25];

describe('spectral estimates on a linear map with known singular values', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const method of ['power', 'lanczos'] as SpectralMethod[]) {
    it(`${method}: largest singular value within 1%`, async () => {
      const passes = emptyPasses();
      const maps = flatMaps(tf, linearTarget(withSingularValues(spectrum)), passes);
      const x = tf.tensor2d(new Rng(3).normals(4 * 12), [4, 12]);
      const before = tf.memory().numTensors;
      const est = await largestSingularValues(tf, jacobianAt(tf, maps.forward, x, 12, passes), new Rng(5), {
        method,
        maxIter: 200,
        // An error bar, not a change between iterations: float32 finite differences put its floor near 1e-4.
        tol: 1e-3,
        needMin: true,
      });
      for (const s of est.sigmaMax) assert.ok(Math.abs(s - 8) / 8 < 0.01, `${method} sigma ${s}`);
      est.sigmaMax.forEach((_, i) => assert.ok(est.sigmaMaxLower[i]! <= 8 && 8 <= est.sigmaMaxUpper[i]!));
      // Power iteration's bar is gap-free (see powerFailureBound): 200 steps leave it wider than 1e-3.
      assert.ok(est.converged.every((c) => c === (method === 'lanczos')));
      if (method === 'lanczos')
        for (const s of est.sigmaMin) assert.ok(Math.abs(s - 0.25) / 0.25 < 0.01, `min ${s}`);
      // Only the step tensor of jacobianAt may remain.
      assert.ok(tf.memory().numTensors - before <= 1);
      x.dispose();
    });
  }

  it('records NaN without throwing', async () => {
    const passes = emptyPasses();
    const f = (x: tf.Tensor2D): tf.Tensor2D => tf.div(x, tf.zeros(x.shape)) as tf.Tensor2D;
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    const est = await largestSingularValues(tf, jacobianAt(tf, f, x, 3, passes), new Rng(1), {
      method: 'lanczos',
      maxIter: 10,
      tol: 1e-4,
    });
    assert.ok(est.sigmaMax.every(Number.isNaN));
    assert.deepEqual(est.converged, [false, false]);
  });
});
