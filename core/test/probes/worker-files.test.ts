/**
 * The probe worker's own file reads (sample files, checkpoints) get the checks of the static bounds' reader:
 * a FIFO or a device is refused without hanging or filling memory, weight files stay beside model.json, and no
 * error quotes a file's content (issue 11, item 1).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSample } from '../../src/probes/data';
import { loadModel } from '../../src/probes/load-model';
import { randomValues, writeCheckpoint } from '../bounds/checkpoint-fixture';

const dir = mkdtempSync(join(tmpdir(), 'll-worker-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('probe worker file reads', () => {
  it('a sample that is a FIFO or /dev/zero is refused at once', (t) => {
    assert.throws(() => loadSample('/dev/zero'), /not a regular file/);
    const fifo = join(dir, 'sample.json');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch (e) {
      t.skip(`mkfifo is not available here (${e instanceof Error ? e.message : String(e)})`);
      return;
    }
    // Today's readFileSync waits for a writer forever here.
    assert.throws(() => loadSample(fifo), /sample\.json is not a regular file \(a FIFO\)/);
  });

  it('a sample that is not JSON is reported without its content', () => {
    const path = join(dir, 'notes.json');
    writeFileSync(path, 'root:x:0:0:root:/root:/bin/bash\n');
    assert.throws(
      () => loadSample(path),
      (e: Error) => /is not valid JSON/.test(e.message) && !/root|bash/.test(e.message),
    );
  });

  it('a checkpoint whose weight paths leave its folder is not loaded', async () => {
    writeCheckpoint(join(dir, 'outside'), [
      { name: 'dense_Dense1/kernel', shape: [3, 4], values: randomValues(12, 1) },
    ]);
    const ckpt = join(dir, 'ckpt');
    mkdirSync(ckpt);
    writeFileSync(
      join(ckpt, 'model.json'),
      JSON.stringify({
        modelTopology: { class_name: 'Sequential', config: { layers: [] } },
        weightsManifest: [{ paths: ['../outside/group1-shard1of1.bin'], weights: [] }],
      }),
    );
    await assert.rejects(
      loadModel({
        model: { source: 'checkpoint', path: join(ckpt, 'model.json') },
        cwd: dir,
        backend: 'cpu',
        budgetSeconds: 30,
      }),
      /group1-shard1of1\.bin is outside model\.json's folder: not read/,
    );
  });
});
