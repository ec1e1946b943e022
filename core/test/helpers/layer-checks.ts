/** Checks every layer test repeats: tensor leaks and the save/load round trip. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { Flow, type InvertibleLayer } from '../../src/layers/flow';
import { saveAndLoad, values } from './model-io';

/** Tensors left behind by `fn` once its returned tensors are disposed. */
export function leakedTensors(fn: () => tf.TensorContainer): number {
  const before = tf.memory().numTensors;
  tf.dispose(fn());
  return tf.memory().numTensors - before;
}

/** `fn` leaves no tensor behind once its returned tensors are disposed. */
export function assertNoLeak(fn: () => tf.TensorContainer, what?: string): void {
  assert.equal(leakedTensors(fn), 0, what);
}

/**
 * A built invertible layer allocates nothing beyond its results in forward, inverse, log-det and bounds.
 * `y` is the inverse's input when it differs in shape from the forward's (default x).
 */
export function assertInvertibleNoLeak(layer: InvertibleLayer, x: tf.Tensor, y: tf.Tensor = x): void {
  assertNoLeak(() => layer.apply(x) as tf.Tensor, `${layer.name}: forward`);
  assertNoLeak(() => layer.inverse(y), `${layer.name}: inverse`);
  assertNoLeak(() => layer.logDetJacobian(x), `${layer.name}: logDetJacobian`);
  assertNoLeak(() => void layer.lipschitzBounds(), `${layer.name}: lipschitzBounds`);
}

/**
 * Saves `model` through fileSystemIO and loads it back; asserts model.json + weights.bin, the same class and
 * config for every layer, every weight (trainable or not) and predict(x), all bit for bit.
 */
export async function assertSaveLoadRoundTrip(
  model: tf.LayersModel,
  x: tf.Tensor,
): Promise<{ loaded: tf.LayersModel; weightNames: string[] }> {
  const { loaded, files, weightNames } = await saveAndLoad(model);
  assert.deepEqual(files, ['model.json', 'weights.bin']);
  assert.equal(loaded.layers.length, model.layers.length);
  model.layers.forEach((layer, i) => {
    const copy = loaded.layers[i]!;
    assert.equal(copy.getClassName(), layer.getClassName());
    assert.ok(copy instanceof layer.constructor, `${layer.name} loads as its own class`);
    assert.deepEqual(copy.getConfig(), layer.getConfig());
  });
  assert.deepEqual(
    loaded.getWeights().map((w) => Array.from(w.dataSync())),
    model.getWeights().map((w) => Array.from(w.dataSync())),
  );
  assert.deepEqual(values(loaded.predict(x)), values(model.predict(x)));
  return { loaded, weightNames };
}

/**
 * The round trip of one invertible block saved as a Flow model, plus the loaded block's inverse (of y =
 * forward(x)), log-det and bounds, all identical to the original's. Returns both models and the loaded block.
 */
export async function assertFlowRoundTrip<L extends InvertibleLayer>(
  layer: L,
  x: tf.Tensor,
): Promise<{ model: tf.LayersModel; loaded: tf.LayersModel; copy: L }> {
  const model = new Flow([layer]).toModel(x.shape.slice(1));
  const { loaded } = await assertSaveLoadRoundTrip(model, x);
  const copy = loaded.layers[1] as L;
  const y = model.predict(x) as tf.Tensor;
  assert.deepEqual(values(Flow.fromModel(loaded).inverse(y)), values(layer.inverse(y)));
  y.dispose();
  assert.deepEqual(values(copy.logDetJacobian(x)), values(layer.logDetJacobian(x)));
  assert.deepEqual(copy.lipschitzBounds(), layer.lipschitzBounds());
  return { model, loaded, copy };
}
