/** The audit sees a MAF flow block by block, with forward, the d-pass inverse and log-det. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Flow } from '../../src/layers/flow';
import { MaskedAutoregressive } from '../../src/layers/masked-autoregressive';
import { Permutation } from '../../src/layers/permutation';
import { toProbeTarget } from '../../src/probes/adapt';
import { runProbes } from '../../src/probes/run-probes';
import { relError } from '../helpers/linalg';

const D = 5;

describe('MaskedAutoregressive in the audit', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('the adapter gives its blocks forward, inverse and log-det, and the reconstruction probe runs', async () => {
    const flow = new Flow([
      new MaskedAutoregressive({ name: 'maf_a', hiddenUnits: 8, zeroInit: false, seed: 1 }),
      new Permutation({ name: 'perm', seed: 2 }),
      new MaskedAutoregressive({
        name: 'maf_b',
        hiddenUnits: 8,
        zeroInit: false,
        seed: 3,
        scale: 'sigmoid-floor',
      }),
    ]);
    const x = tf.randomNormal([8, D], 0, 1, 'float32', 4);
    flow.forward(x);
    const target = toProbeTarget(tf, flow.toModel([D]), 'maf', [D]);
    assert.deepEqual(
      target.blocks!.map((b) => [b.name, !!b.inverse, !!b.logDet]),
      [
        ['maf_a', true, true],
        ['perm', true, true],
        ['maf_b', true, true],
      ],
    );
    const y = target.forward(x);
    assert.ok(relError(target.inverse!(y), x) <= 1e-5);
    assert.ok(relError(target.logDet!(x), flow.logDetJacobian(x)) <= 1e-6);
    const [r] = await runProbes(target, x, {
      tf,
      probes: ['reconstruction'],
      seed: 5,
      deadline: Date.now() + 60_000,
    });
    assert.equal(r!.status, 'ok', r!.message);
  });
});
