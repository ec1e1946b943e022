import * as tf from '@tensorflow/tfjs';
import { Matrix, SVD } from 'ml-matrix';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { InvertibleConv1x1 } from '../../src/layers/invertible-conv1x1';
import { InvertibleLinear } from '../../src/layers/invertible-linear';
import { assertFlowRoundTrip, assertInvertibleNoLeak } from '../helpers/layer-checks';
import { empiricalLipschitz, jacobian, logAbsDet, relError } from '../helpers/linalg';

/** Moves the trainable factors away from the rotation init so the log-det and bounds are non-trivial. */
function perturb(layer: InvertibleLinear | InvertibleConv1x1, seed: number): void {
  // Only lower, upper and log_scale are trainable; P and the signs stay fixed.
  layer.trainableWeights.forEach((w, i) => {
    tf.tidy(() => {
      w.write(tf.add(w.read(), tf.mul(tf.randomNormal(w.read().shape, 0, 1, 'float32', seed + i), 0.3)));
    });
  });
}

function toMatrix(m: { rows: number; cols: number; data: Float64Array }): Matrix {
  return new Matrix(
    Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols))),
  );
}

describe('InvertibleLinear and InvertibleConv1x1 (LU)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('starts as a rotation: W orthogonal, log-det 0, bounds 1', () => {
    const layer = new InvertibleLinear({ seed: 3 });
    layer.apply(tf.zeros([1, 6]));
    const w = toMatrix(layer.weightMatrix());
    const wtw = w.transpose().mmul(w);
    // The factors are stored in float32, so orthogonality holds to float32 precision.
    assert.ok(Matrix.abs(Matrix.sub(wtw, Matrix.eye(6))).max() < 1e-6);
    assert.ok(Math.abs(layer.logDetJacobian(tf.zeros([1, 6])).dataSync()[0]!) < 1e-5);
    const { forward, inverse } = layer.lipschitzBounds();
    assert.ok(Math.abs(forward - 1) < 1e-6 && Math.abs(inverse - 1) < 1e-6);
  });

  it('inverts rank-2 and NHWC inputs after training-like perturbation', () => {
    for (const [layer, shape] of [
      [new InvertibleLinear({ seed: 1 }), [32, 12]],
      [new InvertibleConv1x1({ seed: 2 }), [2, 4, 4, 8]],
    ] as const) {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 4);
      layer.apply(x);
      perturb(layer, 10);
      const err = relError(layer.inverse(layer.apply(x) as tf.Tensor), x);
      assert.ok(err <= 1e-5, `${layer.name}: ${err}`);
    }
  });

  it('log-det matches the brute-force Jacobian (5 dims dense, [1,2,2,2] = 8 dims conv)', () => {
    for (const [layer, shape] of [
      [new InvertibleLinear({ seed: 5 }), [1, 5]],
      [new InvertibleConv1x1({ seed: 6 }), [1, 2, 2, 2]],
    ] as const) {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 7);
      layer.apply(x);
      perturb(layer, 20);
      const brute = logAbsDet(jacobian((z) => layer.apply(z) as tf.Tensor, x));
      const mine = layer.logDetJacobian(x).dataSync()[0]!;
      assert.ok(Math.abs(brute) > 0.05, `non-trivial: ${brute}`);
      assert.ok(Math.abs(brute - mine) <= 1e-3, `${layer.name}: ${brute} vs ${mine}`);
    }
  });

  it('bounds equal sigma_max and 1/sigma_min of W (ml-matrix SVD) and dominate observed gains', () => {
    const layer = new InvertibleLinear({ seed: 8 });
    const x = tf.randomNormal([64, 10], 0, 1, 'float32', 9);
    layer.apply(x);
    perturb(layer, 30);
    const sv = new SVD(toMatrix(layer.weightMatrix()), {
      computeLeftSingularVectors: false,
      computeRightSingularVectors: false,
    }).diagonal;
    const { forward, inverse } = layer.lipschitzBounds();
    assert.ok(Math.abs(forward - Math.max(...sv)) <= 1e-9 * forward);
    assert.ok(Math.abs(inverse - 1 / Math.min(...sv)) <= 1e-9 * inverse);
    assert.ok(empiricalLipschitz((z) => layer.apply(z) as tf.Tensor, x) <= forward * (1 + 1e-5));
    assert.ok(empiricalLipschitz((z) => layer.inverse(z), x) <= inverse * (1 + 1e-5));
  });

  it('the float64 inverse is W^-1 to float64 precision', () => {
    const layer = new InvertibleLinear({ seed: 11 });
    layer.apply(tf.zeros([1, 40]));
    perturb(layer, 40);
    const product = toMatrix(layer.weightMatrix()).mmul(toMatrix(layer.inverseWeightMatrix()));
    assert.ok(Matrix.abs(Matrix.sub(product, Matrix.eye(40))).max() < 1e-10);
  });

  it('allocates nothing beyond its result', () => {
    const layer = new InvertibleConv1x1({ seed: 12 });
    const x = tf.randomNormal([2, 3, 3, 4]);
    layer.apply(x);
    assertInvertibleNoLeak(layer, x);
  });

  it('rejects the wrong rank, naming the layer', () => {
    assert.throws(
      () => new InvertibleLinear({ name: 'lin4' }).apply(tf.zeros([1, 2, 2, 2])),
      /lin4: expects rank 2/,
    );
    assert.throws(
      () => new InvertibleConv1x1({ name: 'c1x1' }).apply(tf.zeros([1, 2])),
      /c1x1: expects rank 4/,
    );
  });

  it('round-trips through model.json + weights.bin, forward and inverse', async () => {
    const conv = new InvertibleConv1x1({ seed: 13 });
    const x = tf.randomNormal([2, 3, 3, 6], 0, 1, 'float32', 14);
    conv.apply(x);
    perturb(conv, 50);
    await assertFlowRoundTrip(conv, x);
  });
});
