import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  convOperatorNorm,
  denseSpectralNorm,
  normalizeConvKernel,
  normalizeDenseKernel,
  randomUnit,
  SpectralNormConstraint,
} from '../../src/layers/spectral-norm';
import { convOperatorMatrix, denseOperatorMatrix, largestSingularValue, relError } from '../helpers/linalg';

before(async () => {
  await tf.setBackend('cpu');
});

const convCases: Array<{ strides: [number, number]; padding: 'same' | 'valid' }> = [
  { strides: [1, 1], padding: 'same' },
  { strides: [2, 2], padding: 'same' },
  { strides: [1, 1], padding: 'valid' },
  { strides: [2, 2], padding: 'valid' },
];

describe('spectral norm estimates', () => {
  it('dense: power iteration is within 1% of the SVD sigma_max', () => {
    for (const [rows, cols, seed] of [
      [6, 4, 1],
      [3, 9, 2],
      [16, 16, 3],
    ] as const) {
      const kernel = tf.randomNormal([rows, cols], 0, 1, 'float32', seed) as tf.Tensor2D;
      const truth = largestSingularValue(denseOperatorMatrix(kernel));
      const est = denseSpectralNorm(kernel, 100, seed);
      assert.ok(relError(est, truth) < 0.01, `${rows}x${cols}: ${est} vs ${truth}`);
      kernel.dispose();
    }
  });

  it('conv2d: operator norm on 5x5x2 -> 3 filters is within 1% of the SVD of the explicit operator', () => {
    const kernel = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const inputShape: [number, number, number] = [5, 5, 2];
    for (const { strides, padding } of convCases) {
      const truth = largestSingularValue(convOperatorMatrix(kernel, inputShape, strides, padding));
      const est = convOperatorNorm(kernel, inputShape, strides, padding, 100, 11);
      assert.ok(relError(est, truth) < 0.01, `${padding} stride ${strides[0]}: ${est} vs ${truth}`);
    }
    // The reshaped-kernel norm is a different (looser or tighter) number: the operator norm is what matters.
    const reshaped = largestSingularValue(kernel.reshape([9 * 2, 3]).arraySync() as number[][]);
    const same = largestSingularValue(convOperatorMatrix(kernel, inputShape, [1, 1], 'same'));
    assert.notEqual(reshaped.toFixed(3), same.toFixed(3));
    kernel.dispose();
  });

  it('after normalization the dense operator norm is at most c (+1%), and small kernels are untouched', () => {
    const kernel = tf.randomNormal([8, 5], 0, 2, 'float32', 5) as tf.Tensor2D;
    const u0 = randomUnit([5], 1) as tf.Tensor1D;
    for (const c of [0.5, 0.9, 3]) {
      const { kernel: wsn, u, sigma } = normalizeDenseKernel(kernel, u0, c, 30);
      const after = largestSingularValue(denseOperatorMatrix(wsn));
      assert.ok(after <= c * 1.01, `c=${c}: ${after}`);
      assert.ok(after >= c * 0.99, `the soft form scales down to c, not below: ${after}`);
      tf.dispose([wsn, u, sigma]);
    }
    const { kernel: same, u, sigma } = normalizeDenseKernel(kernel, u0, 1000, 30);
    assert.deepEqual(Array.from(same.dataSync()), Array.from(kernel.dataSync()));
    tf.dispose([same, u, sigma, u0, kernel]);
  });

  it('after normalization the conv operator norm is at most c (+1%)', () => {
    const kernel = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const inputShape: [number, number, number] = [5, 5, 2];
    const u0 = randomUnit(inputShape, 2) as tf.Tensor3D;
    for (const { strides, padding } of convCases) {
      const g = { inputShape, strides, padding };
      const { kernel: ksn, u, sigma } = normalizeConvKernel(kernel, u0, g, 0.8, 40);
      const after = largestSingularValue(convOperatorMatrix(ksn, inputShape, strides, padding));
      assert.ok(after <= 0.8 * 1.01, `${padding} stride ${strides[0]}: ${after}`);
      tf.dispose([ksn, u, sigma]);
    }
    tf.dispose([u0, kernel]);
  });

  it('one warm power step per call keeps tracking a slowly changing kernel', () => {
    let u = randomUnit([6], 3) as tf.Tensor1D;
    let kernel = tf.randomNormal([10, 6], 0, 1, 'float32', 4) as tf.Tensor2D;
    const warm = normalizeDenseKernel(kernel, u, 1, 30);
    u.dispose();
    u = warm.u;
    tf.dispose([warm.kernel, warm.sigma]);
    for (let step = 0; step < 20; step++) {
      const next = tf.tidy(() =>
        kernel.add(tf.randomNormal([10, 6], 0, 0.02, 'float32', 100 + step)),
      ) as tf.Tensor2D;
      kernel.dispose();
      kernel = next;
      const out = normalizeDenseKernel(kernel, u, 1, 1);
      u.dispose();
      u = out.u;
      const truth = largestSingularValue(denseOperatorMatrix(kernel));
      assert.ok(relError(out.sigma.dataSync()[0]!, truth) < 0.01, `step ${step}`);
      tf.dispose([out.kernel, out.sigma]);
    }
    tf.dispose([u, kernel]);
  });
});

describe('SpectralNormConstraint', () => {
  it('rejects c <= 0 naming the constraint', () => {
    assert.throws(() => new SpectralNormConstraint({ coeff: 0 }), /SpectralNormConstraint: coeff must be/);
    assert.throws(() => new SpectralNormConstraint({ coeff: -1 }), /SpectralNormConstraint/);
  });

  it('works as kernelConstraint of tf.layers.dense and keeps its vector across calls', () => {
    const constraint = new SpectralNormConstraint({ coeff: 0.7, seed: 1 });
    const dense = tf.layers.dense({ units: 4, kernelConstraint: constraint, inputShape: [6] });
    tf.sequential({ layers: [dense] });
    const big = tf.randomNormal([6, 4], 0, 3, 'float32', 2);
    dense.setWeights([big, tf.zeros([4])]); // LayerVariable.write applies the constraint
    const stored = dense.getWeights()[0] as tf.Tensor2D;
    assert.ok(largestSingularValue(denseOperatorMatrix(stored)) <= 0.7 * 1.01);
    const first = constraint.vector();
    assert.ok(first !== null);
    const again = constraint.apply(stored);
    assert.notEqual(constraint.vector(), first, 'the vector is replaced, not leaked');
    assert.equal(first.isDisposed, true);
    tf.dispose([big, again]);
  });

  it('serializes with the namespaced id and round-trips through a dense layer config', () => {
    const constraint = new SpectralNormConstraint({ coeff: 0.5, powerIterations: 2 });
    assert.equal(
      tf.serialization.getRegisteredName(SpectralNormConstraint),
      'LipschitzLens>SpectralNormConstraint',
    );
    const dense = tf.layers.dense({ units: 3, kernelConstraint: constraint });
    const config = dense.getConfig();
    const restored = tf.layers.dense(config as unknown as Parameters<typeof tf.layers.dense>[0]);
    const back = (restored.getConfig()['kernelConstraint'] as tf.serialization.ConfigDict)['config'];
    assert.deepEqual(back, { coeff: 0.5, powerIterations: 2, initialIterations: 30, norm: 'certified' });
  });
});
