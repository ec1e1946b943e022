import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ActNorm } from '../../src/layers/act-norm';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import { InvertibleConv1x1 } from '../../src/layers/invertible-conv1x1';
import { MultiScaleFlow } from '../../src/layers/multi-scale-flow';
import { toProbeTarget } from '../../src/probes/adapt';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeTarget } from '../../src/probes/target';
import type { ProbeResult } from '../../src/report/schema';
import { relError } from '../helpers/linalg';

/** A two-level Glow with bounded affine couplings: [8, 8, 2] -> latents [4, 4, 4] and [2, 2, 16]. */
function boundedGlow(seed: number): MultiScaleFlow {
  const step = (s: number) => [
    new ActNorm(),
    new InvertibleConv1x1({ seed: s }),
    new AffineCoupling({
      zeroInit: false,
      hiddenChannels: 4,
      seed: s + 1,
      scale: 'bounded-tanh',
      scaleBound: 2,
    }),
  ];
  return new MultiScaleFlow({
    name: 'glow2',
    levels: [
      [...step(seed), new AdditiveCoupling({ zeroInit: false, hiddenChannels: 4, seed: seed + 2 })],
      step(seed + 3),
    ],
  });
}

function figureOf(results: ProbeResult[], probe: string, id: string): number | null {
  const r = results.find((p) => p.id === probe)!;
  assert.equal(r.status, 'ok', `${probe}: ${r.message ?? ''}`);
  return r.figures.find((f) => f.id === id)!.value;
}

describe('probes on a MultiScaleFlow', () => {
  let flow: MultiScaleFlow;
  let data: tf.Tensor;
  let target: ProbeTarget;
  before(async () => {
    await tf.setBackend('cpu');
    flow = boundedGlow(1);
    data = tf.randomNormal([8, 8, 8, 2], 0, 1, 'float32', 2);
    flow.initialize(data);
    target = toProbeTarget(tf, flow, 'glow2');
  });

  it('adapts to a flat bijection R^128 -> R^128 with one block per level', () => {
    assert.deepEqual(target.inputShape, [8, 8, 2]);
    assert.deepEqual(
      target.blocks?.map((b) => b.name),
      ['glow2/level_0', 'glow2/level_1'],
    );
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const y = target.forward(data);
      assert.deepEqual(y.shape, [8, 128]);
      assert.ok(relError(target.inverse!(y), data) <= 1e-5);
      // The blocks compose to the target's forward, and their inverses undo it in reverse order.
      const viaBlocks = target.blocks!.reduce((h, b) => b.forward(h), data);
      assert.ok(relError(viaBlocks, y) <= 1e-6, 'blocks compose to forward');
      const back = target.blocks!.reduceRight((h, b) => b.inverse!(h), y);
      assert.deepEqual(back.shape, data.shape);
      assert.ok(relError(back, data) <= 1e-5, 'block inverses compose to inverse');
      const perBlock = tf.add(
        target.blocks![0]!.logDet!(data),
        target.blocks![1]!.logDet!(target.blocks![0]!.forward(data)),
      );
      assert.ok(relError(perBlock, target.logDet!(data)) <= 1e-5, 'block log-dets add up');
    });
    assert.equal(tf.memory().numTensors, before);
  });

  it('sampling and reconstruction run end to end; a bounded flow has no NaN samples', async () => {
    const before = tf.memory().numTensors;
    const results = await runProbes(target, data, {
      tf,
      probes: ['sampling', 'reconstruction'],
      seed: 3,
      deadline: Date.now() + 60_000,
      settings: { scales: [1, 4, 16], temperatures: [0.5, 1, 2] },
    });
    assert.equal(tf.memory().numTensors, before, 'the probes leave no tensor behind');
    assert.equal(figureOf(results, 'sampling', 'nonfinite-rate'), 0);
    assert.equal(figureOf(results, 'sampling', 'huge-rate'), 0);
    const sampling = results.find((r) => r.id === 'sampling')!;
    assert.ok(sampling.passes.inverse >= 3, 'one inverse pass per temperature');
    const dataMax = figureOf(results, 'reconstruction', 'data-max')!;
    assert.ok(dataMax <= 1e-5, `reconstruction on the data: ${dataMax}`);
  });

  it('the log-det probe agrees with the brute-force Jacobian, for the flow and per level', async () => {
    const tiny = boundedGlow(4);
    const x = tf.randomNormal([2, 4, 4, 1], 0, 1, 'float32', 5);
    tiny.initialize(x);
    const [result] = await runProbes(toProbeTarget(tf, tiny, 'tiny'), x, {
      tf,
      probes: ['logdet'],
      seed: 6,
      deadline: Date.now() + 60_000,
    });
    assert.equal(result!.status, 'ok', result!.message);
    const worst = result!.figures.find((f) => f.id === 'max-error')!.value!;
    assert.ok(worst <= 1e-3, `log-det error ${worst}`);
    const checked = new Set(result!.tables[0]!.rows.map((r) => r[0]));
    assert.deepEqual([...checked], ['(model)', 'tiny/level_0', 'tiny/level_1']);
  });
});
