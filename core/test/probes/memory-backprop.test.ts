import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import { Flow, type InvertibleLayer } from '../../src/layers/flow';
import { Permutation } from '../../src/layers/permutation';
import { toProbeTarget } from '../../src/probes/adapt';
import { Rng } from '../../src/probes/rng';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeTarget } from '../../src/probes/target';
import type { ProbeResult } from '../../src/report/schema';
import { deriveFindings } from '../../src/report/findings';

const D = 8;

function additive(): InvertibleLayer[] {
  return [
    new AdditiveCoupling({ hiddenUnits: 16, zeroInit: false, seed: 1 }),
    new Permutation({ seed: 2 }),
    new AdditiveCoupling({ hiddenUnits: 16, zeroInit: false, seed: 3 }),
  ];
}

function expAffine(): InvertibleLayer[] {
  return [
    new AffineCoupling({ scale: 'exp', hiddenUnits: 16, zeroInit: false, seed: 1 }),
    new Permutation({ seed: 2 }),
    new AffineCoupling({ scale: 'exp', hiddenUnits: 16, zeroInit: false, seed: 3 }),
  ];
}

async function probe(target: ProbeTarget, data: tf.Tensor): Promise<ProbeResult> {
  const [r] = await runProbes(target, data, {
    tf,
    probes: ['memory-backprop'],
    seed: 5,
    deadline: Date.now() + 60_000,
  });
  assert.equal(r!.status, 'ok', r!.message);
  return r!;
}

/** Block name -> [activation_error, gradient_error, weight_gradient_error]. */
function table(r: ProbeResult): Map<string, Array<number | null>> {
  const t = r.tables.find((x) => x.id === 'blocks')!;
  assert.deepEqual(t.columns, ['block', 'activation_error', 'gradient_error', 'weight_gradient_error']);
  return new Map(t.rows.map((row) => [row[0] as string, row.slice(1) as Array<number | null>]));
}

function figureValue(r: ProbeResult, id: string): number | null | undefined {
  return r.figures.find((f) => f.id === id)?.value;
}

describe('memory-backprop: weight gradients from rebuilt activations', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('an additive-coupling flow: input and weight gradients agree to float32 precision', async () => {
    const flow = new Flow(additive());
    const data = tf.tensor2d(new Rng(1).normals(8 * D), [8, D]);
    flow.forward(data).dispose();
    const before = tf.memory().numTensors;
    const r = await probe(toProbeTarget(tf, flow, 'additive', [D]), data);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    const rows = table(r);
    for (const b of flow.blocks) {
      const [act, grad, weight] = rows.get(b.name)!;
      assert.ok(act! < 1e-5 && grad! < 1e-5, `${b.name}: ${act}, ${grad}`);
      if (b instanceof Permutation) assert.equal(weight, null, 'a permutation has no trainable weights');
      else assert.ok(weight !== null && weight! < 1e-5, `${b.name}: weight gradient error ${weight}`);
    }
    const worst = figureValue(r, 'weight-gradient-error')!;
    console.log(`additive flow: worst weight-gradient error ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5);
    data.dispose();
  });

  it('an exp affine-coupling flow far from the data: weight gradients wrong, then non-finite', async () => {
    const worst: Array<number | null | undefined> = [];
    for (const scale of [6, 16]) {
      const flow = new Flow(expAffine());
      const data = tf.tensor2d(
        Array.from(new Rng(1).normals(8 * D), (v) => scale * v),
        [8, D],
      );
      flow.forward(data).dispose();
      const r = await probe(toProbeTarget(tf, flow, 'affine', [D]), data);
      const [, grad, weight] = table(r).get(flow.blocks[0]!.name)!;
      console.log(
        `exp affine flow at ${scale}x the data scale: first block weight-gradient error ${String(weight)}, ` +
          `input-gradient error ${String(grad)}`,
      );
      worst.push(figureValue(r, 'weight-gradient-error'));
      // The report names the weight-gradient failure and the block to blame.
      const finding = deriveFindings([r]).find((f) => f.code === 'memory-backprop-weights');
      assert.ok(finding, `a weight-gradient finding at ${scale}x`);
      assert.match(finding.message, /^Weight gradients from rebuilt activations are off by/);
      data.dispose();
    }
    assert.ok(worst[0]! > 0.1, `at 6x: ${worst[0]}`);
    // null with nonFinite set: the rebuilt activations overflowed, the worst possible error.
    assert.equal(worst[1], null);
  });

  it('a deliberately perturbed inverse shows in the weight gradients of every block below it', async () => {
    const flow = new Flow(additive());
    const data = tf.tensor2d(new Rng(2).normals(8 * D), [8, D]);
    flow.forward(data).dispose();
    const target = toProbeTarget(tf, flow, 'perturbed', [D]);
    const top = target.blocks![2]!;
    const exact = top.inverse!.bind(top);
    // The top block's inverse is off by 0.1 in every coordinate.
    top.inverse = (y) => tf.tidy(() => tf.add(exact(y), 0.1));
    const r = await probe(target, data);
    const rows = table(r);
    const [, , bottomWeight] = rows.get(flow.blocks[0]!.name)!;
    const [, , topWeight] = rows.get(flow.blocks[2]!.name)!;
    console.log(
      `perturbed inverse: weight-gradient error top ${String(topWeight)}, bottom ${String(bottomWeight)}`,
    );
    // Block k's input is rebuilt by block k's own inverse, so the error shows from the top block down.
    assert.ok(topWeight! > 1e-2, `top block: ${topWeight}`);
    assert.ok(bottomWeight! > 1e-2, `bottom block: ${bottomWeight}`);
    data.dispose();
  });
});
