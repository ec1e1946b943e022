import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  describeBackend,
  type ModuleLoader,
  nodeLoader,
  selectBackend,
} from '../../src/backend/select-backend';

/** Fakes an installed native package: loading it registers a `tensorflow` backend, as tfjs-node does. */
function fakeNative(installed: string[]): { loader: ModuleLoader; asked: string[] } {
  const asked: string[] = [];
  const loader: ModuleLoader = (id) => {
    asked.push(id);
    if (installed.includes(id)) {
      if (tf.findBackendFactory('tensorflow') === null)
        tf.registerBackend('tensorflow', () => new MathBackendCPU());
      return { module: {} };
    }
    if (id.startsWith('@tensorflow/tfjs-node')) return { error: `Cannot find module '${id}'` };
    return nodeLoader(id);
  };
  return { loader, asked };
}

describe('selectBackend', () => {
  afterEach(() => {
    if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
  });

  it('prefers tfjs-node-gpu when it loads', async () => {
    const { loader, asked } = fakeNative(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    const choice = await selectBackend({ loader });
    assert.equal(choice.kind, 'tfjs-node-gpu');
    assert.equal(choice.gpu, true);
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.deepEqual(asked, ['@tensorflow/tfjs-node-gpu']);
    assert.match(describeBackend(choice), /tfjs-node-gpu \(GPU\)/);
  });

  it('falls back to tfjs-node when the GPU package is missing', async () => {
    const { loader } = fakeNative(['@tensorflow/tfjs-node']);
    const choice = await selectBackend({ loader });
    assert.equal(choice.kind, 'tfjs-node');
    assert.equal(choice.gpu, false);
    assert.equal(choice.notes.length, 1);
    assert.match(choice.notes[0]!, /tfjs-node-gpu not available/);
  });

  it('uses wasm when no native backend is installed, and it computes', async () => {
    const { loader } = fakeNative([]);
    const choice = await selectBackend({ loader });
    assert.equal(choice.kind, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    assert.deepEqual(Array.from(y.dataSync()), [11]);
    assert.equal(choice.notes.length, 2);
  });

  it('falls back to cpu when wasm cannot load', async () => {
    const loader: ModuleLoader = (id) => ({ error: `Cannot find module '${id}'` });
    const choice = await selectBackend({ loader });
    assert.equal(choice.kind, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });

  it('honours an explicit preference', async () => {
    const { loader, asked } = fakeNative(['@tensorflow/tfjs-node-gpu']);
    const choice = await selectBackend({ loader, prefer: 'cpu' });
    assert.equal(choice.kind, 'cpu');
    assert.deepEqual(asked, []);
  });
});
