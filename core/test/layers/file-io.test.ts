/** Issue 11, item 6 for saved models: a save that cannot be completed leaves the previous model loadable. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OutputError } from '../../src/files/atomic-write';
import { fileSystemIO } from '../../src/layers/file-io';
import { fillUp, mountTmpfs } from '../helpers/tmpfs';

function dense(units: number, seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units,
        inputShape: [units],
        kernelInitializer: tf.initializers.glorotNormal({ seed }),
        biasInitializer: 'ones',
      }),
    ],
  });
}

function predict(model: tf.LayersModel, units: number): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.ones([1, units])) as tf.Tensor).dataSync()));
}

describe('fileSystemIO save', () => {
  it('writes model.json and weights.bin and nothing else, and loads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-file-io-'));
    try {
      const model = dense(4, 1);
      await model.save(fileSystemIO(dir));
      assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
      assert.deepEqual(predict(await tf.loadLayersModel(fileSystemIO(dir)), 4), predict(model, 4));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('on a full disk (a 64 KiB tmpfs)', () => {
    const fs = mountTmpfs(64);
    after(() => 'unmount' in fs && fs.unmount());
    it('a save whose weights do not fit fails in one line and leaves the previous model loadable', async (t) => {
      if ('skip' in fs) return t.skip(fs.skip);
      const dir = join(fs.dir, 'checkpoint');
      const previous = dense(4, 1);
      await previous.save(fileSystemIO(dir));
      const before = {
        json: readFileSync(join(dir, 'model.json')),
        bin: readFileSync(join(dir, 'weights.bin')),
      };
      fillUp(fs.dir);
      // 64 x 64 + 64 floats: 16.6 KB of weights, on a disk with no byte left.
      await assert.rejects(dense(64, 2).save(fileSystemIO(dir)), (e: unknown) => {
        assert.ok(e instanceof OutputError, String(e));
        assert.equal(e.message, `cannot write ${join(dir, 'weights.bin')}: no space left on device (ENOSPC)`);
        return true;
      });
      assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin'], 'no temporary file left');
      assert.deepEqual(readFileSync(join(dir, 'model.json')), before.json);
      assert.deepEqual(readFileSync(join(dir, 'weights.bin')), before.bin);
      assert.deepEqual(predict(await tf.loadLayersModel(fileSystemIO(dir)), 4), predict(previous, 4));
    });
  });
});
