import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import {
  BiLipschitzRegularizer,
  finiteDifferenceRegularizer,
  finiteDifferenceTerms,
} from '../../src/layers/bilipschitz-regularizer';
import { Flow } from '../../src/layers/flow';
import { InvertibleLinear } from '../../src/layers/invertible-linear';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import { Rng } from '../../src/probes/rng';
import { linearTarget, withSingularValues } from '../probes/helpers';
import { leakedTensors } from '../helpers/layer-checks';

const D = 4;

function data(n: number, seed = 1, scale = 1): tf.Tensor2D {
  return tf.tensor2d(
    Array.from(new Rng(seed).normals(n * D), (v) => v * scale),
    [n, D],
  );
}

function terms(flow: Parameters<typeof finiteDifferenceTerms>[0], x: tf.Tensor, seed = 7): [number, number] {
  const t = finiteDifferenceTerms(flow, x, { seed });
  const out: [number, number] = [t.forward.dataSync()[0]!, t.inverse.dataSync()[0]!];
  tf.dispose([t.forward, t.inverse]);
  return out;
}

/** Every trainable weight of the flow and its gradient of `loss` (null when unreachable). */
function gradients(flow: Flow, loss: () => tf.Scalar): Map<string, number[] | null> {
  const vars = flow.blocks.flatMap((b) => b.trainableWeights.map((w) => w.read() as tf.Variable));
  const { value, grads } = tf.variableGrads(loss, vars);
  const out = new Map(
    vars.map((v) => [v.name, grads[v.name] ? Array.from(grads[v.name]!.dataSync()) : null]),
  );
  value.dispose();
  tf.dispose(grads);
  return out;
}

describe('finite-difference bi-Lipschitz regulariser', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('on a linear map: sum s_i^2 / d forward and sum s_i^-2 / d inverse within 3%', () => {
    const s = [3, 2, 1, 0.5];
    const target = linearTarget(withSingularValues(s, 3));
    const map = { forward: target.forward, inverse: target.inverse! };
    const x = data(500);
    const t = finiteDifferenceTerms(map, x, { seed: 11, samples: 8 });
    const [fwd, inv] = [t.forward.dataSync()[0]!, t.inverse.dataSync()[0]!];
    tf.dispose([t.forward, t.inverse, x]);
    const wantFwd = s.reduce((a, v) => a + v * v, 0) / D;
    const wantInv = s.reduce((a, v) => a + 1 / (v * v), 0) / D;
    assert.ok(Math.abs(fwd / wantFwd - 1) < 0.03, `forward ${fwd} vs ${wantFwd}`);
    assert.ok(Math.abs(inv / wantInv - 1) < 0.03, `inverse ${inv} vs ${wantInv}`);
  });

  it('reaches every trainable weight of AffineCoupling + InvertibleLinear, the inverse term alone too', () => {
    const flow = new Flow([
      new AffineCoupling({ scale: 'exp', hiddenUnits: 8, zeroInit: false, seed: 1 }),
      new InvertibleLinear({ seed: 2 }),
    ]);
    const x = data(16);
    flow.forward(x).dispose();
    for (const weights of [{}, { weightForward: 0 }]) {
      const grads = gradients(flow, () => finiteDifferenceRegularizer(flow, x, { seed: 3, ...weights }));
      assert.equal(grads.size, 2 * 3 + 3, 'kernel_i, bias_i x 3 + lower, upper, log_scale');
      for (const [name, g] of grads) {
        assert.ok(g !== null, `${name}: no gradient (${JSON.stringify(weights)})`);
        assert.ok(g.every(Number.isFinite), `${name}: non-finite gradient`);
        assert.ok(
          g.some((v) => v !== 0),
          `${name}: zero gradient`,
        );
      }
    }
    x.dispose();
  });

  it("the LU inverse term's implicit gradient matches a finite difference in log_scale", () => {
    const lu = new InvertibleLinear({ seed: 5 });
    const x = data(8);
    (lu.apply(x) as tf.Tensor).dispose();
    const flow = new Flow([lu]);
    const loss = (): tf.Scalar => finiteDifferenceRegularizer(flow, x, { seed: 4, weightForward: 0 });
    const logScale = lu.trainableWeights.find((w) => w.name.includes('log_scale'))!;
    const g = gradients(flow, loss).get((logScale.read() as tf.Variable).name)!;
    const base = Array.from(logScale.read().dataSync());
    const h = 1e-2;
    const at = (i: number, delta: number): number => {
      logScale.write(tf.tensor1d(base.map((v, j) => (j === i ? v + delta : v))));
      const l = loss();
      const v = l.dataSync()[0]!;
      l.dispose();
      return v;
    };
    for (let i = 0; i < D; i++) {
      const numeric = (at(i, h) - at(i, -h)) / (2 * h);
      assert.ok(Math.abs(g![i]! - numeric) < 0.02 * Math.max(1, Math.abs(numeric)), `${g![i]} vs ${numeric}`);
    }
    logScale.write(tf.tensor1d(base));
    x.dispose();
  });

  it('an i-ResNet block: the inverse term reaches its kernels through one fixed-point step', () => {
    const flow = new Flow([new InvertibleResidual({ hiddenUnits: [8], coeff: 0.9, seed: 1 })]);
    const x = data(8);
    flow.forward(x).dispose();
    const grads = gradients(flow, () => finiteDifferenceRegularizer(flow, x, { seed: 2, weightForward: 0 }));
    for (const [name, g] of grads) {
      assert.ok(g !== null, `${name}: no gradient`);
      // One step from the solution: a constant shift of g (the last bias) cancels in the difference.
      if (name.includes('kernel'))
        assert.ok(
          g.some((v) => v !== 0),
          `${name}: zero gradient`,
        );
    }
    x.dispose();
  });

  it('training with it shrinks the inverse gain of an exp affine coupling built to explode', () => {
    const coupling = new AffineCoupling({ scale: 'exp', hiddenUnits: 16, zeroInit: false, seed: 1 });
    const flow = new Flow([coupling]);
    const x = data(64, 2);
    flow.forward(x).dispose();
    // Last bias: [h | t]; h = -3 gives s = exp(h) ~ 0.05, an inverse gain ~ 20 along x2.
    const weights = coupling.getWeights();
    const last = weights.length - 1;
    const bias = Array.from(weights[last]!.dataSync()).map((v, i) => (i < D / 2 ? -3 : v));
    coupling.setWeights([...weights.slice(0, last), tf.tensor1d(bias)]);
    const [fwd0, inv0] = terms(flow, x);
    const reg = new BiLipschitzRegularizer({ seed: 9 });
    const optimizer = tf.train.adam(0.05);
    for (let step = 0; step < 30; step++) optimizer.minimize(() => reg.apply(flow, x));
    optimizer.dispose();
    const [fwd1, inv1] = terms(flow, x);
    console.log(
      `exp affine coupling, 30 Adam steps: inverse E||J^-1 u||^2 ${inv0.toFixed(1)} -> ${inv1.toFixed(2)}, ` +
        `forward ${fwd0.toFixed(3)} -> ${fwd1.toFixed(3)}`,
    );
    assert.ok(inv0 > 50, `starts exploding: ${inv0}`);
    assert.ok(inv1 < inv0 / 10, `inverse gain ${inv0} -> ${inv1}`);
    x.dispose();
  });

  it('leaks no tensors, validates options and logs its config', () => {
    const flow = new Flow([
      new AffineCoupling({ hiddenUnits: 8, zeroInit: false, seed: 1 }),
      new InvertibleLinear({ seed: 2 }),
      new InvertibleResidual({ hiddenUnits: [8], seed: 3 }),
    ]);
    const x = data(8);
    flow.forward(x).dispose();
    const reg = new BiLipschitzRegularizer({ samples: 2, seed: 1 });
    reg.apply(flow, x).dispose(); // first call caches the per-block paths
    assert.equal(
      leakedTensors(() => reg.apply(flow, x)),
      0,
    );
    assert.equal(
      leakedTensors(() => {
        const t = reg.terms(flow, x);
        return [t.forward, t.inverse];
      }),
      0,
    );
    assert.deepEqual(reg.getConfig(), {
      epsilon: 1e-2,
      relativeEpsilon: true,
      samples: 2,
      weightForward: 1,
      weightInverse: 1,
      inverseGradient: 'auto',
      seed: 1,
    });
    assert.throws(() => new BiLipschitzRegularizer({ samples: 0 }), /BiLipschitzRegularizer: samples/);
    assert.throws(() => new BiLipschitzRegularizer({ epsilon: -1 }), /BiLipschitzRegularizer: epsilon/);
    x.dispose();
  });
});
