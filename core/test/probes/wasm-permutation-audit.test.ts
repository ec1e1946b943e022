/**
 * Issue 12, item 6: a flow with a Permutation and convolutional couplings audits entirely on wasm. The probes
 * used to rerun on cpu when a gradient kernel was missing (gather's UnsortedSegmentSum), and memory-backprop
 * silently dropped the couplings' weight gradients (conv2d's Conv2DBackpropFilter).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectBackend } from '../../src/backend/select-backend';
import { ActNorm } from '../../src/layers/act-norm';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import { Flow } from '../../src/layers/flow';
import { InvertibleConv1x1 } from '../../src/layers/invertible-conv1x1';
import { Permutation } from '../../src/layers/permutation';
import { toProbeTarget } from '../../src/probes/adapt';
import { PROBE_IDS } from '../../src/probes/probe';
import { Rng } from '../../src/probes/rng';
import { runProbes } from '../../src/probes/run-probes';

describe('a Permutation flow audited on wasm', () => {
  before(async () => {
    const choice = await selectBackend({ prefer: 'wasm' });
    assert.equal(choice.kind, 'wasm', `wasm backend did not initialise: ${choice.notes.join('; ')}`);
  });

  it('runs every probe on wasm, with weight gradients for every coupling', async () => {
    const flow = new Flow([
      new ActNorm(),
      new InvertibleConv1x1({ seed: 1 }),
      new AffineCoupling({ zeroInit: false, hiddenChannels: 4, scale: 'exp', seed: 2 }),
      new Permutation({ seed: 3 }),
      new AdditiveCoupling({ zeroInit: false, hiddenChannels: 4, seed: 4 }),
      new Permutation({ mode: 'reverse' }),
    ]);
    const shape = [4, 4, 4];
    const data = tf.tensor(new Rng(5).normals(4 * 64), [4, ...shape]);
    // Every backend switch the run makes: today's fallback to cpu goes through tf.setBackend.
    const switches: string[] = [];
    const spied = new Proxy(tf, {
      get(target, key, receiver) {
        if (key === 'setBackend')
          return (name: string) => {
            switches.push(name);
            return tf.setBackend(name);
          };
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const results = await runProbes(toProbeTarget(tf, flow, 'permutation-flow', shape), data, {
      tf: spied,
      probes: PROBE_IDS,
      seed: 1,
      deadline: Date.now() + 120_000,
      settings: { attackSteps: 5, maxIter: 10 },
    });
    assert.deepEqual(switches, [], 'no probe switched backend');
    assert.equal(tf.getBackend(), 'wasm');
    for (const r of results) {
      assert.notEqual(r.status, 'error', `${r.id}: ${r.message ?? ''}`);
      for (const note of r.notes) assert.doesNotMatch(note, /cpu|not registered/, `${r.id}: ${note}`);
      // What the report says each probe ran on.
      if (r.status !== 'skipped') assert.deepEqual(r.backend, { name: 'wasm' }, r.id);
    }
    const memory = results.find((r) => r.id === 'memory-backprop')!;
    assert.equal(memory.status, 'ok');
    const rows = memory.tables.find((t) => t.id === 'blocks')!.rows;
    const column = memory.tables.find((t) => t.id === 'blocks')!.columns.indexOf('weight_gradient_error');
    for (const row of rows.filter((r) => /coupling/.test(String(r[0])))) {
      assert.equal(
        typeof row[column],
        'number',
        `${String(row[0])}: weight gradient error ${String(row[column])}`,
      );
    }
  });
});

describe('memory-backprop on wasm with a user op lacking a gradient kernel', () => {
  before(async () => {
    await selectBackend({ prefer: 'wasm' });
  });

  it('does not report the weight gradient as absent when it failed', async () => {
    const d = 4;
    const w = tf.variable(tf.tensor1d([0.5, -1, 2, 0.25]), true, 'user_offset');
    const idx = [3, 1, 0, 2];
    // The gradient of gather wrt its input needs UnsortedSegmentSum, which wasm does not have.
    const shift = (): tf.Tensor => tf.gather(w, idx);
    const block = {
      name: 'user_shift',
      forward: (x: tf.Tensor) => tf.add(x, shift()),
      inverse: (y: tf.Tensor) => tf.sub(y, shift()),
      trainableWeights: () => [w],
    };
    const target = {
      name: 'user-flow',
      inputShape: [d],
      forward: block.forward,
      inverse: block.inverse,
      blocks: [block],
    };
    const data = tf.tensor2d(new Rng(7).normals(4 * d), [4, d]);
    const [r] = await runProbes(target, data, {
      tf,
      probes: ['memory-backprop'],
      seed: 1,
      deadline: Date.now() + 60_000,
    });
    const row = r!.tables.find((t) => t.id === 'blocks')?.rows[0];
    const said = [r!.message ?? '', ...r!.notes].join(' ');
    // Computed on another backend with a note saying why, or reported as failed: never a silent "no weights".
    assert.match(said, /UnsortedSegmentSum/, `weight gradient ${String(row?.[3])}, said: ${said}`);
  });
});
