import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ActNorm, type ActNormScaleParam } from '../../src/layers/act-norm';
import { Flow } from '../../src/layers/flow';
import { assertFlowRoundTrip, assertInvertibleNoLeak, leakedTensors } from '../helpers/layer-checks';
import { jacobian, logAbsDet, relError } from '../helpers/linalg';
import { values } from '../helpers/model-io';

const PARAMS: ActNormScaleParam[] = ['log', 'direct'];

describe('ActNorm', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  /** Channels with different means and spreads, so the init has something to undo. */
  const data = (shape: number[], seed: number) =>
    tf.tidy(() => {
      const c = shape[shape.length - 1]!;
      const spread = tf.range(1, c + 1).mul(0.7);
      return tf.randomNormal(shape, 0, 1, 'float32', seed).mul(spread).add(tf.range(0, c).sub(2));
    });

  it('initialises from the first training batch to zero mean and unit variance, once', () => {
    const layer = new ActNorm();
    const x = data([256, 5], 1);
    assert.equal(relError(layer.apply(x) as tf.Tensor, x), 0, 'inference does not initialise');
    assert.equal(layer.isInitialized(), false);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const { mean, variance } = tf.moments(y, 0);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0]! < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0]! < 1e-4);
    const before = layer.getWeights().map((w) => Array.from(w.dataSync()));
    layer.apply(data([64, 5], 2), { training: true });
    assert.deepEqual(
      layer.getWeights().map((w) => Array.from(w.dataSync())),
      before,
      'a second training batch does not re-initialise',
    );
  });

  it('inverts exactly after data init (rank 2 and NHWC, both scale parameterisations)', () => {
    for (const scaleParam of PARAMS) {
      for (const shape of [
        [32, 5],
        [4, 3, 3, 6],
      ]) {
        const layer = new ActNorm({ scaleParam });
        const x = data(shape, 3);
        layer.initialize(x);
        const z = tf.randomNormal(shape, 0, 1, 'float32', 4);
        const err = relError(layer.inverse(layer.apply(z) as tf.Tensor), z);
        assert.ok(err <= 1e-5, `${scaleParam} ${shape}: ${err}`);
      }
    }
  });

  it('log-det matches the brute-force Jacobian (3 dims and [1,2,2,2] = 8 dims, both parameterisations)', () => {
    for (const scaleParam of PARAMS) {
      for (const shape of [
        [1, 3],
        [1, 2, 2, 2],
      ]) {
        const layer = new ActNorm({ scaleParam });
        layer.initialize(data([16, ...shape.slice(1)], 5));
        const x = tf.randomNormal(shape, 0, 1, 'float32', 6);
        const brute = logAbsDet(jacobian((z) => layer.apply(z) as tf.Tensor, x));
        const mine = layer.logDetJacobian(x).dataSync()[0]!;
        assert.ok(Math.abs(brute) > 0.1);
        assert.ok(Math.abs(brute - mine) <= 1e-3, `${scaleParam} ${shape}: ${brute} vs ${mine}`);
      }
    }
  });

  it("'direct' bounds are max |s| forward and 1 / min |s| inverse", () => {
    const layer = new ActNorm({ scaleParam: 'direct' });
    layer.apply(tf.zeros([1, 3]));
    layer.setWeights([tf.tensor1d([0.5, -4, 2]), tf.zeros([3]), tf.scalar(1)]);
    assert.deepEqual(layer.lipschitzBounds(), { forward: 4, inverse: 2 });
  });

  it("'log' bounds are exp(max log s) forward and exp(-min log s) inverse; the scale stays positive", () => {
    const layer = new ActNorm();
    layer.apply(tf.zeros([1, 3]));
    assert.deepEqual(
      layer.weights.map((w) => w.name.split('/').pop()),
      ['log_scale', 'bias', 'initialized'],
    );
    layer.setWeights([tf.tensor1d([0.5, -4, 2]), tf.zeros([3]), tf.scalar(1)]);
    assert.deepEqual(layer.lipschitzBounds(), { forward: Math.exp(2), inverse: Math.exp(4) });
    // A log-scale of -4 is a scale of exp(-4) > 0, where 'direct' would have flipped the channel's sign.
    assert.ok(values(layer.apply(tf.ones([1, 3]))).every((v) => v > 0));
  });

  it('allocates nothing beyond its result', () => {
    const layer = new ActNorm();
    const x = data([8, 2, 2, 4], 7);
    assert.equal(
      leakedTensors(() => layer.apply(x, { training: true }) as tf.Tensor),
      3,
      'build creates 3 weights',
    );
    assertInvertibleNoLeak(layer, x);
  });

  it('rejects wrong ranks and a non-positive epsilon, naming the layer', () => {
    assert.throws(() => new ActNorm({ name: 'an3' }).apply(tf.zeros([1, 2, 3])), /an3: .*rank 3/);
    assert.throws(() => new ActNorm({ name: 'an_eps', epsilon: 0 }), /an_eps: epsilon/);
  });

  for (const scaleParam of PARAMS) {
    it(`${scaleParam}: a loaded model keeps its initialisation and does not re-initialise on training batches`, async () => {
      const layer = new ActNorm({ scaleParam });
      const x = data([64, 2, 2, 4], 8);
      layer.initialize(x);
      const { model, loaded, copy } = await assertFlowRoundTrip(layer, x);
      assert.equal(copy.isInitialized(), true);
      assert.equal(copy.scaleParam, scaleParam);
      copy.apply(data([8, 2, 2, 4], 9), { training: true });
      assert.deepEqual(values(loaded.predict(x)), values(model.predict(x)));
      const y = model.predict(x) as tf.Tensor;
      assert.deepEqual(values(Flow.fromModel(loaded).inverse(y)), values(layer.inverse(y)));
    });
  }

  it('a model saved before scaleParam existed (no field, weight `scale`) loads as direct', async () => {
    const layer = new ActNorm({ scaleParam: 'direct' });
    const x = data([16, 4], 10);
    layer.initialize(x);
    const model = new Flow([layer]).toModel([4]);
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    // Strip the field the old layer did not write.
    const legacy = JSON.parse(JSON.stringify(artifacts!)) as tf.io.ModelArtifacts;
    const topology = legacy.modelTopology as {
      config: { layers: Array<{ config: Record<string, unknown> }> };
    };
    delete topology.config.layers[1]!.config['scaleParam'];
    legacy.weightData = artifacts!.weightData;
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(legacy));
    assert.equal((loaded.layers[1] as ActNorm).scaleParam, 'direct');
    assert.deepEqual(values(loaded.predict(x)), values(model.predict(x)));
  });

  it('rejects an unknown scaleParam, naming the layer', () => {
    assert.throws(() => new ActNorm({ name: 'an_sp', scaleParam: 'exp' as 'log' }), /an_sp: scaleParam/);
  });

  describe('scaleBound', () => {
    const M = 10;
    /** The per-channel scale actually applied: f(1) - f(0) on a [1, c] input. */
    const appliedScales = (layer: ActNorm, c: number): number[] =>
      tf.tidy(() => {
        const one = layer.apply(tf.ones([1, c])) as tf.Tensor;
        const zero = layer.apply(tf.zeros([1, c])) as tf.Tensor;
        return Array.from(tf.sub(one, zero).dataSync());
      });

    it('inverts after data init (rank 2 and NHWC)', () => {
      for (const shape of [
        [32, 5],
        [4, 3, 3, 6],
      ]) {
        const layer = new ActNorm({ scaleBound: M });
        layer.initialize(data(shape, 11));
        const z = tf.randomNormal(shape, 0, 1, 'float32', 12);
        const err = relError(layer.inverse(layer.apply(z) as tf.Tensor), z);
        assert.ok(err <= 1e-5, `${shape}: ${err}`);
      }
    });

    it('log-det matches the brute-force Jacobian (3 dims and [1,2,2,2] = 8 dims)', () => {
      for (const shape of [
        [1, 3],
        [1, 2, 2, 2],
      ]) {
        const layer = new ActNorm({ scaleBound: 3 });
        layer.initialize(data([16, ...shape.slice(1)], 13));
        const x = tf.randomNormal(shape, 0, 1, 'float32', 14);
        const brute = logAbsDet(jacobian((z) => layer.apply(z) as tf.Tensor, x));
        const mine = layer.logDetJacobian(x).dataSync()[0]!;
        assert.ok(Math.abs(brute) > 0.1);
        assert.ok(Math.abs(brute - mine) <= 1e-3, `${shape}: ${brute} vs ${mine}`);
      }
    });

    it('keeps forward and inverse bounds <= M whatever the weights', () => {
      const layer = new ActNorm({ scaleBound: M });
      layer.apply(tf.zeros([1, 4]));
      for (const extreme of [
        [1e6, -1e6, 0.3, 0],
        [50, 50, 50, 50],
        [-1e30, 0, 0, 1e30],
      ]) {
        layer.setWeights([tf.tensor1d(extreme), tf.zeros([4]), tf.scalar(1)]);
        const { forward, inverse } = layer.lipschitzBounds();
        assert.ok(forward <= M && inverse <= M, `${extreme}: ${forward}, ${inverse}`);
        for (const s of appliedScales(layer, 4)) {
          assert.ok(s > 0 && s <= M * (1 + 1e-6) && 1 / s <= M * (1 + 1e-6), `${extreme}: scale ${s}`);
        }
      }
      layer.setWeights([tf.tensor1d([1e6, -1e6, 0.3, 0]), tf.zeros([4]), tf.scalar(1)]);
      assert.deepEqual(layer.lipschitzBounds(), { forward: M, inverse: M });
    });

    it('data init clips tiny and huge spreads to scales in [1/M, M]; a normal channel gets unit variance', () => {
      const layer = new ActNorm({ scaleBound: M });
      const x = tf.tidy(() => tf.randomNormal([512, 3], 0, 1, 'float32', 15).mul([1e-4, 1, 1e4]));
      layer.initialize(x);
      const [tiny, unit, huge] = appliedScales(layer, 3);
      // Clipped just inside the range: tiny std wants 1e4, huge std wants 1e-4.
      assert.ok(tiny! <= M * (1 + 1e-6) && tiny! > M * 0.999, `tiny-std channel scale ${tiny}`);
      assert.ok(huge! >= (1 / M) * (1 - 1e-6) && huge! < (1 / M) * 1.001, `huge-std channel scale ${huge}`);
      const { variance } = tf.moments(layer.apply(x) as tf.Tensor, 0);
      assert.ok(Math.abs(variance.dataSync()[1]! - 1) < 1e-4, `unit channel variance ${unit}`);
      const { forward, inverse } = layer.lipschitzBounds();
      assert.ok(forward <= M && inverse <= M && forward > 0.999 * M && inverse > 0.999 * M);
      assert.ok(layer.getWeights()[0]!.dataSync().every(Number.isFinite), 'stored u stays finite');
    });

    it('allocates nothing beyond its result', () => {
      const layer = new ActNorm({ scaleBound: M });
      const x = data([8, 2, 2, 4], 16);
      assert.equal(
        leakedTensors(() => layer.apply(x, { training: true }) as tf.Tensor),
        3,
      );
      assertInvertibleNoLeak(layer, x);
    });

    it('round-trips through save/load with its bound', async () => {
      const layer = new ActNorm({ scaleBound: M });
      const x = data([64, 2, 2, 4], 17);
      layer.initialize(x);
      const { copy } = await assertFlowRoundTrip(layer, x);
      assert.equal(copy.scaleBound, M);
      assert.equal(copy.getConfig()['scaleBound'], M);
      assert.equal('scaleBound' in new ActNorm().getConfig(), false, 'unbounded configs read as before');
    });

    it('rejects M <= 1 and M with scaleParam direct, naming the layer', () => {
      for (const scaleBound of [1, 0.5, -2, NaN, Infinity]) {
        assert.throws(() => new ActNorm({ name: 'an_m', scaleBound }), /an_m: scaleBound must be/);
      }
      assert.throws(
        () => new ActNorm({ name: 'an_direct', scaleParam: 'direct', scaleBound: 2 }),
        /an_direct: scaleBound needs scaleParam 'log'/,
      );
    });
  });
});
