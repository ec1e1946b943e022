/** The audit sees a flow of ReversibleBlocks block by block, with forward, inverse and log-det. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Flow } from '../../src/layers/flow';
import { ReversibleBlock } from '../../src/layers/reversible-block';
import { toProbeTarget } from '../../src/probes/adapt';
import { runProbes } from '../../src/probes/run-probes';
import { relError } from '../helpers/linalg';

const D = 6;

function flow(): Flow {
  return new Flow([
    new ReversibleBlock({ name: 'rev_a', hiddenUnits: 8, zeroInit: false, seed: 1 }),
    new ReversibleBlock({ name: 'rev_b', hiddenUnits: 8, zeroInit: false, seed: 2, activation: 'elu' }),
  ]);
}

describe('ReversibleBlock in the audit', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('the adapter gives one block per ReversibleBlock with forward, inverse and log-det', () => {
    const f = flow();
    const x = tf.randomNormal([4, D], 0, 1, 'float32', 3);
    f.forward(x);
    for (const value of [f, f.toModel([D])]) {
      const target = toProbeTarget(tf, value, 'rev', [D]);
      assert.deepEqual(
        target.blocks!.map((b) => [b.name, !!b.inverse, !!b.logDet]),
        [
          ['rev_a', true, true],
          ['rev_b', true, true],
        ],
      );
      const y = target.forward(x);
      assert.ok(relError(y, x) > 1e-2);
      assert.ok(relError(target.inverse!(y), x) <= 1e-5);
      assert.deepEqual(Array.from(target.logDet!(x).dataSync()), [0, 0, 0, 0]);
    }
  });

  it('memory-backprop and reconstruction probes run on it and find float32-level errors', async () => {
    const target = toProbeTarget(tf, flow(), 'rev', [D]);
    const data = tf.randomNormal([32, D], 0, 1, 'float32', 4);
    const results = await runProbes(target, data, {
      tf,
      probes: ['memory-backprop', 'reconstruction'],
      seed: 5,
      deadline: Date.now() + 60_000,
    });
    assert.deepEqual(
      results.map((r) => r.id),
      ['memory-backprop', 'reconstruction'],
    );
    for (const r of results) {
      assert.equal(r.status, 'ok', `${r.id}: ${r.message}`);
      const blocks = r.tables.find((t) => t.id === 'blocks');
      if (r.id === 'memory-backprop') {
        assert.deepEqual(
          blocks!.rows.map((row) => row[0]),
          ['rev_a', 'rev_b'],
        );
        for (const row of blocks!.rows)
          for (const e of row.slice(1)) assert.ok(typeof e === 'number' && e <= 1e-4, JSON.stringify(row));
      }
    }
  });
});
