/**
 * Checkpoints named by workspace source are read only when they are regular files inside the workspace (after
 * symlinks), under a size cap, without blocking, and no message quotes their bytes (issue 11, item 1).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointCache, type CheckpointLookup, computeBounds } from '../../src/bounds';
import { checkpointNorms, readCheckpoint } from '../../src/bounds/checkpoint';
import { readContained, readRegularFileSync } from '../../src/bounds/checkpoint-access';
import { extractSource } from '../../src/extract';
import { randomValues, writeCheckpoint } from './checkpoint-fixture';

const base = mkdtempSync(join(tmpdir(), 'll-ckpt-access-'));
after(() => rmSync(base, { recursive: true, force: true }));
const workspace = join(base, 'ws');
const outside = join(base, 'outside');
mkdirSync(workspace);
writeCheckpoint(outside, [{ name: 'dense_Dense1/kernel', shape: [3, 4], values: randomValues(12, 1) }]);
const policy = { roots: [workspace] };

/** The model's notes and forward bound once the checkpoint read has settled, as the server would show them. */
async function settled(
  checkpoint: string,
  cache = new CheckpointCache(policy),
): Promise<{
  found: CheckpointLookup;
  forward: unknown;
  notes: string;
}> {
  const src = `import * as tf from '@tensorflow/tfjs';
/** @checkpoint ${checkpoint} */
export const net = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] })] });`;
  const ir = extractSource(src, join(workspace, 'net.ts'));
  const found = await cache.load(checkpoint);
  const bounds = computeBounds(ir, { checkpoints: (p) => cache.peek(p) });
  const model = bounds.get(ir.models[0]!.id)!;
  return { found, forward: model.forward, notes: model.notes.join('\n') };
}

function reason(found: CheckpointLookup): string {
  assert.equal(found.state, 'failed');
  return found.state === 'failed' ? found.reason : '';
}

function canMkfifo(path: string): string | undefined {
  try {
    execFileSync('mkfifo', [path]);
    return undefined;
  } catch (e) {
    return `mkfifo is not available here (${e instanceof Error ? e.message : String(e)})`;
  }
}

describe('checkpoint access: only regular files inside the workspace, capped, never blocking', () => {
  it('a valid checkpoint inside the workspace gives its trained bound', async () => {
    const path = writeCheckpoint(join(workspace, 'good'), [
      { name: 'dense_Dense1/kernel', shape: [3, 4], values: randomValues(12, 2) },
    ]);
    const { found, forward } = await settled(path);
    assert.equal(found.state, 'ready');
    assert.equal(typeof forward, 'number');
  });

  it('/etc/passwd is refused unopened, and no message holds any of its bytes', async () => {
    const { found, notes } = await settled('/etc/passwd');
    assert.match(reason(found), /\/etc\/passwd is outside the workspace folders: not read/);
    assert.doesNotMatch(notes, /root|:x:|Unexpected token/);
  });

  it('a file that is not JSON says so by position only, never by excerpt', async () => {
    const fake = join(workspace, 'passwd.json');
    writeFileSync(fake, 'root:x:0:0:root:/root:/bin/bash\n');
    const why = reason((await settled(fake)).found);
    assert.match(why, /passwd\.json is not valid JSON/);
    assert.doesNotMatch(why, /root|:x:|bash/);
  });

  it('/dev/zero is refused before any byte is read, even through a symlink or with no roots', async () => {
    const rss = process.memoryUsage().rss;
    assert.match(reason((await settled('/dev/zero')).found), /outside the workspace/);
    const link = join(workspace, 'zero.json');
    symlinkSync('/dev/zero', link);
    assert.match(reason((await settled(link)).found), /outside the workspace/);
    // With containment off (the probe worker's sample files), the file type still decides.
    await assert.rejects(
      readContained('/dev/zero', { roots: null }, 2 ** 30),
      /not a regular file \(a device/,
    );
    assert.throws(() => readRegularFileSync('/dev/zero', 2 ** 30), /not a regular file/);
    // Today's reader grew the process by 1.5 GB here; a refusal allocates nothing of the kind.
    const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
    assert.ok(grown < 64, `rss grew ${grown.toFixed(0)} MB`);
  });

  it('a FIFO in the workspace is refused without waiting for a writer', async (t) => {
    const fifo = join(workspace, 'fifo.json');
    const skip = canMkfifo(fifo);
    if (skip) {
      t.skip(skip);
      return;
    }
    // Today's synchronous read never returns here (the test's timeout would end it).
    assert.match(reason((await settled(fifo)).found), /fifo\.json is not a regular file \(a FIFO\)/);
    assert.throws(() => readRegularFileSync(fifo, 1024), /a FIFO/);
  });

  it('a symlink inside the workspace to a checkpoint outside it is refused', async () => {
    const link = join(workspace, 'linked');
    symlinkSync(outside, link);
    const { found, forward } = await settled(join(link, 'model.json'));
    assert.match(reason(found), /outside the workspace folders/);
    assert.equal(forward, 'unknown');
  });

  it('a model.json whose weight paths climb out of the workspace is refused', async () => {
    const dir = join(workspace, 'climbing');
    mkdirSync(dir);
    const path = join(dir, 'model.json');
    writeFileSync(
      path,
      JSON.stringify({
        weightsManifest: [
          {
            paths: ['../../outside/group1-shard1of1.bin'],
            weights: [{ name: 'dense_Dense1/kernel', shape: [3, 4], dtype: 'float32' }],
          },
        ],
      }),
    );
    assert.ok(existsSync(join(dir, '../../outside/group1-shard1of1.bin')));
    const { found, forward, notes } = await settled(path);
    assert.match(reason(found), /outside\/group1-shard1of1\.bin is outside the workspace folders/);
    assert.equal(forward, 'unknown');
    assert.match(notes, /checkpoint not read/);
  });

  it('model.json and the weights together are capped', async () => {
    const path = writeCheckpoint(join(workspace, 'big'), [
      { name: 'dense_Dense1/kernel', shape: [16, 16], values: randomValues(256, 3) },
    ]);
    const small = new CheckpointCache(policy, { modelJsonBytes: 64, weightsBytes: 2 ** 20 });
    assert.match(reason(await small.load(path)), /model\.json is .* over the .* limit: not read/);
    const noWeights = new CheckpointCache(policy, { modelJsonBytes: 2 ** 20, weightsBytes: 512 });
    assert.match(reason(await noWeights.load(path)), /over the .* limit: not read/);
  });

  it('weight names that are not tfjs names are shown by position', async () => {
    const path = writeCheckpoint(join(workspace, 'named'), [
      { name: '[click](http://x)/kernel', shape: [3, 4], values: randomValues(12, 4) },
    ]);
    const found = await new CheckpointCache(policy).load(path);
    assert.equal(found.state, 'ready');
    assert.deepEqual(found.state === 'ready' && found.norms.dense.map((n) => n.name), ['weight #1/kernel']);
  });

  it('a kernel too large to bound in the editor keeps its place: its layer is unknown, the next one matched', async () => {
    const path = writeCheckpoint(join(workspace, 'wide'), [
      { name: 'dense_Dense1/kernel', shape: [8, 8], values: randomValues(64, 5) },
      { name: 'dense_Dense2/kernel', shape: [8, 2], values: randomValues(16, 6) },
    ]);
    const { checkpoint } = await readCheckpoint(path, policy);
    // 8 x 8 x 8 = 512 multiply-adds per Gram step is over this limit, 8 x 2 x 2 = 32 is not.
    const norms = await checkpointNorms(checkpoint, { dense: 100, conv: 100 });
    const src = `import * as tf from '@tensorflow/tfjs';
/** @checkpoint ${path} */
export const net = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [8] }), tf.layers.dense({ units: 2 })] });`;
    const ir = extractSource(src, join(workspace, 'wide.ts'));
    const bounds = computeBounds(ir, { checkpoints: () => ({ state: 'ready', norms }) });
    const [first, second] = ir.models[0]!.body.children;
    assert.equal(bounds.get(first!.id)!.forward, 'unknown');
    assert.equal(bounds.get(second!.id)!.forward, norms.dense[1]!.sigma);
    assert.match(
      bounds.get(ir.models[0]!.id)!.notes.join(),
      /dense_Dense1\/kernel \(8x8\) is too large to bound in the editor/,
    );
  });

  it('pending until read, then listeners hear of it; a changed file is read again', async () => {
    const dir = join(workspace, 'changing');
    const path = writeCheckpoint(dir, [{ name: 'dense_Dense1/kernel', shape: [1, 1], values: [2] }]);
    const cache = new CheckpointCache(policy);
    const heard: string[] = [];
    cache.onSettled((p) => heard.push(p));
    assert.equal(cache.lookup(path).state, 'pending');
    await cache.load(path);
    assert.deepEqual(heard, [path]);
    const sigma = (l: CheckpointLookup): number | undefined =>
      l.state === 'ready' ? l.norms.dense[0]?.sigma : undefined;
    // A certified bound: a few ulps above the true norm.
    assert.ok(Math.abs(sigma(cache.lookup(path))! - 2) < 1e-9);
    writeCheckpoint(dir, [{ name: 'dense_Dense1/kernel', shape: [1, 1], values: [3] }]);
    // Same size, so the mtime must tell: set it apart explicitly (file systems with coarse mtimes).
    utimesSync(join(dir, 'group1-shard1of1.bin'), new Date(), new Date(Date.now() + 5000));
    // The lookup answers with what it has and checks in the background; the re-read settles and is announced.
    const announced = new Promise<void>((resolve) => cache.onSettled(() => resolve()));
    cache.lookup(path);
    await announced;
    assert.ok(Math.abs(sigma(cache.lookup(path))! - 3) < 1e-9);
  });
});
