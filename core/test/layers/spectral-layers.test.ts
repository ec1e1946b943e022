import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SpectralConv2D } from '../../src/layers/spectral-conv2d';
import { SpectralDense } from '../../src/layers/spectral-dense';
import { assertNoLeak, assertSaveLoadRoundTrip } from '../helpers/layer-checks';
import { largestSingularValue, relError } from '../helpers/linalg';

before(async () => {
  await tf.setBackend('cpu');
});

/** The matrix of a bias-free linear layer, read off by applying it to basis inputs (no access to internals). */
function operatorOf(
  layer: tf.layers.Layer,
  inputShape: number[],
  kwargs: Record<string, unknown> = {},
): number[][] {
  const n = inputShape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const out = layer.apply(tf.eye(n).reshape([n, ...inputShape]), kwargs) as tf.Tensor;
    return tf.transpose(out.reshape([n, -1])).arraySync() as number[][];
  });
}

// tfjs suffixes variable names (u_1) when a model with the same layer name is loaded again in-process.
function uOf(layer: tf.layers.Layer): number[] {
  return Array.from(
    layer.weights
      .find((w) => /\/u(_\d+)?$/.test(w.name))!
      .read()
      .dataSync(),
  );
}

async function roundTrip(model: tf.LayersModel, x: tf.Tensor): Promise<void> {
  const { loaded } = await assertSaveLoadRoundTrip(model, x);
  assert.deepEqual(uOf(loaded.layers[0]!), uOf(model.layers[0]!), 'the power-iteration vector is saved');
}

/** Inference leaves u alone, a training call moves it, and neither leaks. */
function assertUpdatesUWhenTrainingOnly(layer: tf.layers.Layer, x: tf.Tensor): void {
  tf.dispose(layer.apply(x) as tf.Tensor);
  const u0 = uOf(layer);
  assertNoLeak(() => {
    tf.dispose(layer.apply(x) as tf.Tensor);
    assert.deepEqual(uOf(layer), u0);
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    assert.notDeepEqual(uOf(layer), u0);
  });
}

describe('SpectralDense', () => {
  it('bounds the operator norm by c (+1%) from the first call, and reports its Lipschitz constant', () => {
    for (const coeff of [0.5, 2]) {
      const layer = new SpectralDense({
        units: 7,
        coeff,
        useBias: false,
        seed: 1,
        kernelInitializer: 'heNormal',
      });
      layer.build([null, 9]);
      const raw = largestSingularValue(
        operatorOf(
          new SpectralDense({ units: 7, coeff: 1e6, useBias: false, seed: 1, kernelInitializer: 'heNormal' }),
          [9],
        ),
      );
      const sigma = largestSingularValue(operatorOf(layer, [9]));
      assert.ok(sigma <= coeff * 1.01, `c=${coeff}: ${sigma}`);
      assert.ok(
        relError(sigma, Math.min(coeff, raw)) < 0.01,
        `soft form: min(c, sigma_raw) = ${Math.min(coeff, raw)}`,
      );
      assert.ok(relError(layer.lipschitzConstant(), sigma) < 0.01);
    }
  });

  it('updates u when training only, and leaks no tensors', () => {
    const layer = new SpectralDense({ units: 4, coeff: 0.9, initialPowerIterations: 0, seed: 2 });
    const x = tf.randomNormal([3, 5], 0, 1, 'float32', 3);
    assertUpdatesUWhenTrainingOnly(layer, x);
    x.dispose();
  });

  it('supports higher-rank inputs like tf.layers.dense', () => {
    const layer = new SpectralDense({ units: 3, activation: 'tanh', seed: 4 });
    const y = layer.apply(tf.ones([2, 5, 6])) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 5, 3]);
    assert.deepEqual(layer.computeOutputShape([null, 5, 6]), [null, 5, 3]);
    y.dispose();
  });

  it('throws errors naming the layer', () => {
    assert.throws(() => new SpectralDense({ name: 'sd1', units: 3, coeff: 0 }), /^Error: sd1: coeff must be/);
    assert.throws(() => new SpectralDense({ name: 'sd2', units: 3, coeff: -2 }), /sd2: coeff/);
    assert.throws(
      () => new SpectralDense({ name: 'sd3', units: 3, activation: 'softmax' as 'elu' }),
      /sd3: activation 'softmax'/,
    );
    assert.throws(
      () => new SpectralDense({ name: 'sd4', units: 3, kernelInitializer: 'nope' as 'heNormal' }),
      /sd4: unknown kernelInitializer/,
    );
    assert.throws(
      () => new SpectralDense({ name: 'sd5', units: 3 }).apply(tf.ones([4])),
      /sd5: expects inputs/,
    );
  });

  it('saves and loads through fileSystemIO with identical outputs', async () => {
    const model = tf.sequential({
      layers: [
        new SpectralDense({
          units: 5,
          coeff: 0.8,
          activation: 'lipswish',
          seed: 5,
          kernelInitializer: tf.initializers.orthogonal({ gain: 3 }),
          inputShape: [4],
        }),
      ],
    });
    const x = tf.randomNormal([6, 4], 0, 1, 'float32', 6);
    await roundTrip(model, x);
    x.dispose();
  });
});

describe('SpectralConv2D', () => {
  const cases: Array<{ strides: number; padding: 'same' | 'valid' }> = [
    { strides: 1, padding: 'same' },
    { strides: 2, padding: 'valid' },
  ];

  for (const { strides, padding } of cases) {
    it(`bounds the conv operator norm by c (certified, within 1% below): 5x5x2 -> 3 filters, ${padding}, stride ${strides}`, () => {
      const args = {
        filters: 3,
        kernelSize: 3,
        strides,
        padding,
        useBias: false,
        seed: 7,
        kernelInitializer: 'heNormal' as const,
      };
      const layer = new SpectralConv2D({ ...args, coeff: 0.7 });
      const raw = new SpectralConv2D({ ...args, coeff: 1e6 });
      const sigmaRaw = largestSingularValue(operatorOf(raw, [5, 5, 2]));
      const sigma = largestSingularValue(operatorOf(layer, [5, 5, 2]));
      assert.ok(sigmaRaw > 0.7, `the test needs a kernel that gets scaled: ${sigmaRaw}`);
      // Certified: never above c; the explicit Gram bound on this small operator makes it tight too.
      assert.ok(sigma <= 0.7 * (1 + 1e-9) && sigma >= 0.7 * 0.99, `${sigma}`);
      assert.ok(relError(layer.lipschitzConstant(), sigma) < 0.01);
      const out = tf.tidy(() => (layer.apply(tf.zeros([1, 5, 5, 2])) as tf.Tensor).shape);
      assert.deepEqual(layer.computeOutputShape([null, 5, 5, 2]), [null, ...out.slice(1)]);
    });
  }

  it('updates u when training only, and leaks no tensors', () => {
    const layer = new SpectralConv2D({
      filters: 2,
      kernelSize: [3, 2],
      padding: 'same',
      initialPowerIterations: 0,
      seed: 8,
    });
    const x = tf.randomNormal([2, 4, 4, 1], 0, 1, 'float32', 9);
    assertUpdatesUWhenTrainingOnly(layer, x);
    x.dispose();
  });

  it('throws errors naming the layer', () => {
    assert.throws(
      () => new SpectralConv2D({ name: 'sc1', filters: 2, kernelSize: 3, coeff: 0 }),
      /^Error: sc1: coeff must be/,
    );
    assert.throws(
      () => new SpectralConv2D({ name: 'sc2', filters: 2, kernelSize: 3, activation: 'gelu' as 'elu' }),
      /sc2: activation/,
    );
    assert.throws(() => new SpectralConv2D({ name: 'sc3', filters: 2, kernelSize: 0 }), /sc3: kernelSize/);
    assert.throws(
      () => new SpectralConv2D({ name: 'sc4', filters: 2, kernelSize: 3 }).apply(tf.zeros([2, 5, 5])),
      /sc4: expects inputs/,
    );
    assert.throws(
      () =>
        new SpectralConv2D({ name: 'sc5', filters: 2, kernelSize: 3 }).apply(
          tf.input({ shape: [null, null, 2] }),
        ),
      /sc5: expects inputs .* known sizes/,
    );
    const fixed = new SpectralConv2D({ name: 'sc6', filters: 2, kernelSize: 3, padding: 'same' });
    tf.dispose(fixed.apply(tf.zeros([1, 5, 5, 2])) as tf.Tensor);
    assert.throws(() => fixed.apply(tf.zeros([1, 6, 6, 2])), /sc6/);
  });

  it('saves and loads through fileSystemIO with identical outputs', async () => {
    const model = tf.sequential({
      layers: [
        new SpectralConv2D({
          filters: 3,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'elu',
          coeff: 0.9,
          seed: 10,
          inputShape: [6, 6, 2],
        }),
      ],
    });
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 11);
    await roundTrip(model, x);
    x.dispose();
  });
});
