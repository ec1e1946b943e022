import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';
import { CheckpointCache, computeBounds, readCheckpoint } from '../../src/bounds';
import type { BlockNode, ConfigValue, LayerNode } from '../../src/ir/model-ir';
import { randomValues, writeCheckpoint } from './checkpoint-fixture';
import { fileOf, R } from './ir-builders';

const dir = mkdtempSync(join(tmpdir(), 'll-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The float32-rounded values, as the reader sees them. */
function f32(values: number[]): number[] {
  return Array.from(new Float32Array(values));
}

function svdNorm(rows: number, cols: number, values: number[]): number {
  const m = new MlMatrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, values[i * cols + j]!);
  return Math.max(...new SingularValueDecomposition(m).diagonal);
}

const k1 = randomValues(6 * 5, 1);
const k2 = randomValues(5 * 3, 2);
const path = writeCheckpoint(dir, [
  { name: 'dense_Dense1/kernel', shape: [6, 5], values: k1 },
  { name: 'dense_Dense1/bias', shape: [5], values: randomValues(5, 3) },
  { name: 'dense_Dense2/kernel', shape: [5, 3], values: k2 },
  { name: 'dense_Dense2/bias', shape: [3], values: randomValues(3, 4) },
]);

// The temporary folder is the workspace: checkpoints are only read inside the allowed roots.
const policy = { roots: [dir] };

describe('checkpoint reading', () => {
  it('decodes float32 weights in manifest order', async () => {
    const { checkpoint: ckpt } = await readCheckpoint(path, policy);
    assert.deepEqual(
      ckpt.weights.map((w) => w.name),
      ['dense_Dense1/kernel', 'dense_Dense1/bias', 'dense_Dense2/kernel', 'dense_Dense2/bias'],
    );
    assert.deepEqual(Array.from(ckpt.weights[0]!.values), f32(k1));
  });

  it('the certified bounds match an SVD (within 1e-8)', async () => {
    const found = await new CheckpointCache(policy).load(path);
    assert.equal(found.state, 'ready');
    const norms = found.state === 'ready' ? found.norms.dense : [];
    assert.equal(norms.length, 2);
    assert.ok(Math.abs(norms[0]!.sigma! - svdNorm(6, 5, f32(k1))) < 1e-8);
    assert.ok(Math.abs(norms[1]!.sigma! - svdNorm(5, 3, f32(k2))) < 1e-8);
  });

  it('bounds use trained norms, matched by layer order, once the background read is done', async () => {
    const dense = (units: number, activation?: string): LayerNode => {
      const config: { [key: string]: ConfigValue } = { units };
      if (activation) config['activation'] = activation;
      return { kind: 'layer', id: `d${units}`, layerType: 'dense', origin: 'tfjs', config, range: R };
    };
    const d1 = dense(5, 'sigmoid');
    const d2 = dense(3);
    const body: BlockNode = { kind: 'block', id: 'b', wiring: 'sequence', children: [d1, d2], range: R };
    const { ir } = fileOf(body, { intent: { kind: 'lipschitz', signals: [] }, checkpoint: path });
    const cache = new CheckpointCache(policy);
    const lookup = (p: string): ReturnType<CheckpointCache['lookup']> => cache.lookup(p);
    // The first look starts the read and answers at once: pending, with the layers unknown until it is done.
    const first = computeBounds(ir, { checkpoints: lookup });
    assert.equal(first.get('m')!.forward, 'unknown');
    assert.match(first.get('m')!.notes.join(), /pending: reading checkpoint/);
    await cache.load(path);
    const b = computeBounds(ir, { checkpoints: lookup });
    const s1 = svdNorm(6, 5, f32(k1));
    const s2 = svdNorm(5, 3, f32(k2));
    assert.ok(Math.abs((b.get('d5')!.forward as number) - 0.25 * s1) < 1e-8);
    assert.match(b.get('d3')!.source, /^trained weights: sigma=[0-9.]+ \(dense_Dense2\/kernel\)/);
    assert.ok(Math.abs((b.get('m')!.forward as number) - 0.25 * s1 * s2) < 1e-8);
    // Without checkpoints the same model is unknown.
    assert.equal(computeBounds(ir).get('m')!.forward, 'unknown');
  });

  it('a missing checkpoint is a note, not a crash', async () => {
    const body: BlockNode = { kind: 'block', id: 'b', wiring: 'sequence', children: [], range: R };
    const { ir } = fileOf(body, {
      intent: { kind: 'ordinary', signals: [] },
      checkpoint: join(dir, 'nope.json'),
    });
    const cache = new CheckpointCache(policy);
    await cache.load(join(dir, 'nope.json'));
    const notes = computeBounds(ir, { checkpoints: (p) => cache.peek(p) })
      .get('m')!
      .notes.join();
    assert.match(notes, /not read: .*nope\.json: not found/);
  });
});
