/**
 * MultiScaleFlow's static bound composes level by level, B_i = L_i max(1, B_next) (core/src/specs/multi-scale-flow.ts),
 * as its lipschitzBounds() does: a latent factored out before a contracting level is not contracted, so the plain
 * product of every step's bound (what the calculus used when the extractor flattened the levels) can be too low.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { computeBounds } from '../../src/bounds';
import { extractSource } from '../../src/extract';
import { ActNorm } from '../../src/layers/act-norm';
import { MultiScaleFlow } from '../../src/layers/multi-scale-flow';
import { multiScaleBound } from '../../src/specs/multi-scale-flow';

// Level 0: an ActNorm of scales in [1/2, 2] (static 2 both ways). Level 1: a map of norm <= 1/4 (static forward
// 0.25). The flat product says forward <= 0.5; the flow's true constant is 2 (move the factored-out latent only).
const SOURCE = `import * as tf from '@tensorflow/tfjs';
import { ActNorm, MultiScaleFlow, spectralNorm } from 'lipschitz-lens';
/** @inputShape [4, 4, 2] */
export const msf = new MultiScaleFlow({
  levels: [
    [new ActNorm({ scaleBound: 2 })],
    [tf.layers.dense({ units: 4, useBias: false, kernelConstraint: spectralNorm({ coeff: 0.25 }) })],
  ],
});`;

describe('MultiScaleFlow: static bounds level by level', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('extracts one sequence block per level under a multi-scale body', () => {
    const ir = extractSource(SOURCE, '/msf.ts');
    const [m] = ir.models;
    assert.equal(m?.body.wiring, 'multi-scale');
    assert.deepEqual(
      m.body.children.map((c) => (c.kind === 'block' ? [c.wiring, c.children.length] : c.kind)),
      [
        ['sequence', 1],
        ['sequence', 1],
      ],
    );
  });

  it('gives the level formula, above the flat product of the steps', () => {
    const ir = extractSource(SOURCE, '/msf.ts');
    const m = ir.models[0]!;
    const bounds = computeBounds(ir);
    const levels = m.body.children.map((c) => bounds.get(c.id)!);
    assert.deepEqual(
      levels.map((l) => l.forward),
      [2, 0.25],
    );
    const flat = 2 * 0.25;
    const formula = multiScaleBound([2, 0.25]);
    assert.equal(formula, 2);
    assert.ok(flat < formula);
    assert.equal(bounds.get(m.id)!.forward, formula);
    assert.match(bounds.get(m.id)!.source, /B_i = L_i max\(1, B_next\)/);
    // The dense map's inverse is not bounded statically, so neither is the flow's.
    assert.equal(bounds.get(m.id)!.inverse, 'unknown');
  });

  it('equals the runtime lipschitzBounds() of a flow whose steps have the same bounds, which the flow attains', () => {
    // Runtime steps with the static steps' forward bounds: ActNorm of scales 2 and 1/2 (u = +-20 saturates tanh,
    // so log scale = +-log 2), then ActNorm of scale 1/4 (forward 0.25; inverse 4).
    const a = new ActNorm({ scaleBound: 2, dataInit: false });
    const b = new ActNorm({ dataInit: false });
    const flow = new MultiScaleFlow({ levels: [[a], [b]], inputShape: [4, 4, 2] });
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 1);
    flow.forward(x).latents.forEach((t) => t.dispose());
    a.setWeights([tf.tensor1d([20, -20, 20, -20, 20, -20, 20, -20]), tf.zeros([8]), tf.scalar(1)]);
    b.setWeights([tf.fill([16], Math.log(0.25)), tf.zeros([16]), tf.scalar(1)]);
    assert.deepEqual(a.lipschitzBounds(), { forward: 2, inverse: 2 });
    assert.ok(Math.abs(b.lipschitzBounds().forward - 0.25) < 1e-6);
    const runtime = flow.lipschitzBounds();
    const ir = extractSource(SOURCE, '/msf.ts');
    const staticForward = computeBounds(ir).get(ir.models[0]!.id)!.forward;
    assert.ok(Math.abs(runtime.forward - (staticForward as number)) < 1e-6, `${runtime.forward}`);
    // The constant is attained: the map is diagonal up to squeeze and split, so the largest gain over the input
    // coordinates is its constant, and an entry that level 0 factors out comes out doubled.
    const d = tf.tidy(() => {
      const y0 = flow.flatten(flow.forward(x).latents);
      let best = 0;
      for (let i = 0; i < 32; i++) {
        const e = tf.reshape(tf.oneHot([i], 32), [1, 4, 4, 2]);
        const y1 = flow.flatten(flow.forward(tf.add(x, e)).latents);
        best = Math.max(best, tf.norm(tf.sub(y1, y0)).dataSync()[0]!);
      }
      return best;
    });
    assert.ok(Math.abs(d - 2) < 1e-4, `measured ${d}`);
    assert.ok(d > 2 * 0.25, 'the flat product is not a bound');
    x.dispose();
    a.dispose();
    b.dispose();
  });
});
