import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { layerBounds } from '../../src/bounds';
import { Flow } from '../../src/layers/flow';
import { NeuralOde, type NeuralOdeArgs } from '../../src/layers/neural-ode';
import { odeStepGrowth } from '../../src/specs/neural-ode';
import { R } from '../bounds/ir-builders';
import { assertFlowRoundTrip, assertInvertibleNoLeak } from '../helpers/layer-checks';
import { jacobian, largestSingularValue, logAbsDet, relError } from '../helpers/linalg';
import { singularRange } from '../properties/measure';

const smallestSingularValue = (rows: number[][]): number => singularRange(rows).min;

const ode = (args: NeuralOdeArgs = {}) =>
  new NeuralOde({ hiddenUnits: 8, hiddenLayers: 1, zeroInit: false, seed: 2, activation: 'tanh', ...args });

/** Every weight of `layer` set to gain * N(0, 1), from a fixed seed. */
function randomize(layer: tf.layers.Layer, gain: number, seed: number): void {
  layer.trainableWeights.forEach((w, i) =>
    tf.tidy(() => void w.write(tf.randomNormal(w.shape as number[], 0, gain, 'float32', seed + i))),
  );
}

/** A linear field f(x) = x A (hiddenLayers 0, zero bias): the flow is x e^{A T}, known in closed form. */
function linearOde(method: 'euler' | 'rk4', steps: number, a: number[][]): NeuralOde {
  const layer = new NeuralOde({ hiddenLayers: 0, method, steps, time: 1, coeff: 10, zeroInit: false });
  layer.apply(tf.zeros([1, a.length]));
  layer.setWeights([tf.tensor2d(a), tf.zeros([a.length])]);
  return layer;
}

describe('NeuralOde', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('RK4 and Euler steps are the textbook ones: on f(x) = x a (1-D) one step is the Taylor polynomial', () => {
    // For dx/dt = a x, one RK4 step multiplies by 1 + ha + (ha)^2/2 + (ha)^3/6 + (ha)^4/24, Euler by 1 + ha.
    for (const method of ['euler', 'rk4'] as const) {
      const layer = linearOde(method, 1, [[0.7]]);
      const y = (layer.apply(tf.tensor2d([[2]])) as tf.Tensor).dataSync()[0]!;
      assert.ok(Math.abs(y - 2 * odeStepGrowth(method, 0.7)) <= 1e-6, `${method}: ${y}`);
    }
  });

  it('converges to the exact flow x e^{AT} at the scheme order, and step doubling estimates the error', () => {
    // A rotation plus a contraction: e^{A} in closed form. Row convention: y = x e^{A}.
    const a = [
      [-0.2, 0.8],
      [-0.8, -0.2],
    ];
    const x = tf.tensor2d([[1, 0.5]]);
    // e^{A} for A = -0.2 I + 0.8 K (K^2 = -I): e^{-0.2} (cos 0.8 I + sin 0.8 K).
    const e = Math.exp(-0.2);
    const [c, s] = [Math.cos(0.8), Math.sin(0.8)];
    const exact = [e * (1 * c - 0.5 * s), e * (1 * s + 0.5 * c)];
    for (const [method, order] of [
      ['euler', 1],
      ['rk4', 4],
    ] as const) {
      const errors = [4, 8].map((n) => {
        const y = Array.from((linearOde(method, n, a).apply(x) as tf.Tensor).dataSync());
        return Math.hypot(y[0]! - exact[0]!, y[1]! - exact[1]!);
      });
      const ratio = errors[0]! / errors[1]!;
      assert.ok(
        Math.abs(Math.log2(ratio) - order) < 0.3,
        `${method}: halving h divides the error by ${ratio}`,
      );
      const est = linearOde(method, 4, a).discretisationError(x).stepDoubling;
      assert.ok(
        est > 0.5 * errors[0]! && est < 2 * errors[0]!,
        `${method}: estimate ${est}, true ${errors[0]}`,
      );
    }
  });

  it('inverse integrates backwards: reconstructs to the discretisation error, and to 1e-5 with RK4', () => {
    for (const method of ['euler', 'rk4'] as const) {
      const layer = ode({ method, steps: 16 });
      const x = tf.randomNormal([16, 4], 0, 1, 'float32', 3);
      layer.apply(x);
      randomize(layer, 0.8, 5);
      const y = layer.apply(x) as tf.Tensor;
      assert.ok(relError(y, x) > 1e-2);
      const { roundTrip, stepDoubling } = layer.discretisationError(x);
      const rt = Math.max(...tf.tidy(() => tf.norm(tf.sub(layer.inverse(y), x), 'euclidean', 1)).dataSync());
      assert.ok(Math.abs(rt - roundTrip) <= 1e-6);
      // Forward and backward errors, the first carried through the inverse (Lip <= the bound): a true bound
      // would need higher derivatives of f, so the test allows the estimate a factor 2.
      const lip = layer.lipschitzBounds().inverse;
      assert.ok(
        roundTrip <= 2 * (1 + lip) * stepDoubling + 1e-5,
        `${method}: ${roundTrip} vs ${stepDoubling}`,
      );
      if (method === 'rk4') assert.ok(roundTrip <= 1e-5, `rk4 round trip ${roundTrip}`);
    }
  });

  it('log-det equals log|det| of the brute-force Jacobian of the computed map, both schemes', () => {
    for (const method of ['euler', 'rk4'] as const) {
      const layer = ode({ method, steps: 3, hiddenLayers: 2, activation: 'elu' });
      const x = tf.randomNormal([1, 3], 0, 1, 'float32', 7);
      layer.apply(x);
      randomize(layer, 0.9, 11);
      const j = jacobian((z) => layer.apply(z) as tf.Tensor, x);
      const logDet = layer.logDetJacobian(x).dataSync()[0]!;
      assert.ok(Math.abs(logAbsDet(j) - logDet) <= 1e-4, `${method}: ${logAbsDet(j)} vs ${logDet}`);
      assert.ok(Math.abs(logDet) > 1e-2, 'a non-trivial volume change');
    }
  });

  it('the bounds dominate the brute-force Jacobian norms: forward, backward integration, exact inverse', () => {
    for (const seed of [1, 2, 3]) {
      for (const method of ['euler', 'rk4'] as const) {
        const layer = ode({ method, seed, coeff: 1.5, steps: 4 });
        const x = tf.randomNormal([1, 4], 0, 2, 'float32', seed);
        layer.apply(x);
        randomize(layer, 2, 40 * seed);
        const { forward, inverse } = layer.lipschitzBounds();
        assert.ok(forward <= layer.exactFlowBound() && inverse >= forward);
        const jf = jacobian((z) => layer.apply(z) as tf.Tensor, x);
        const fwd = largestSingularValue(jf);
        const back = largestSingularValue(jacobian((z) => layer.inverse(z), x));
        // The exact inverse of the computed map at F(x): 1 / sigma_min of its Jacobian at x.
        const exactInverse = 1 / smallestSingularValue(jf);
        assert.ok(fwd <= forward, `${method}: forward ${fwd} vs ${forward}`);
        assert.ok(back <= forward, `${method}: backward integration ${back} vs ${forward}`);
        assert.ok(exactInverse <= inverse, `${method}: exact inverse ${exactInverse} vs ${inverse}`);
      }
    }
  });

  it('linear fields attain the bounds: x a forward, x (-a) for the exact inverse', () => {
    for (const method of ['euler', 'rk4'] as const) {
      // f(x) = 0.7 x: each step multiplies by exactly P(0.14), so the forward bound is attained.
      const grow = linearOde(method, 5, [[0.7]]);
      const jg = jacobian((z) => grow.apply(z) as tf.Tensor, tf.tensor2d([[1]]))[0]![0]!;
      const { forward } = grow.lipschitzBounds();
      assert.ok(Math.abs(jg - forward) <= 1e-5 * forward, `${method}: ${jg} vs ${forward}`);
      // f(x) = -0.7 x: the forward map multiplies by P(-0.14) per step, so its exact inverse's gain is
      // 1 / P(-0.14)^5, below the stated (2 - P(0.14))^-5 (equal for Euler: 1 - z = 2 - (1 + z)).
      const shrink = linearOde(method, 5, [[-0.7]]);
      const js = jacobian((z) => shrink.apply(z) as tf.Tensor, tf.tensor2d([[1]]))[0]![0]!;
      const { inverse } = shrink.lipschitzBounds();
      assert.ok(1 / js <= inverse * (1 + 1e-6), `${method}: ${1 / js} vs ${inverse}`);
      if (method === 'euler')
        assert.ok(Math.abs(1 / js - inverse) <= 1e-5 * inverse, `${1 / js} vs ${inverse}`);
      // The backward integration is not the exact inverse: (1 + z)^5 against (1 - z)^-5 for Euler; both below the
      // stated inverse bound, the former below the forward one.
      const jb = jacobian((z) => shrink.inverse(z), tf.tensor2d([[1]]))[0]![0]!;
      assert.ok(jb <= forward * (1 + 1e-6), `${method}: ${jb} vs ${forward}`);
      if (method === 'euler') assert.ok(Math.abs(jb - 1.14 ** 5) <= 1e-5 && jb < 1 / js);
    }
  });

  it('the static bound from coeff is the scheme bound at L = coeff^(layers) and covers the weights', () => {
    const config = { hiddenLayers: 1, coeff: 0.8, steps: 4, method: 'euler', activation: 'tanh' };
    const b = layerBounds(
      { kind: 'layer', id: 'o', layerType: 'NeuralOde', origin: 'lipschitz-lens', config, range: R },
      { customLayers: [] },
    );
    // L <= 0.64, z = 0.16: (1 + z)^4 forward, (1 - z)^-4 inverse; the exact flow's e^{0.64} in a note.
    assert.ok(Math.abs((b.forward as number) - 1.16 ** 4) <= 1e-12);
    assert.ok(Math.abs((b.inverse as number) - 0.84 ** -4) <= 1e-12);
    assert.match(b.notes[0]!, /exact flow \(not the computed map\): e\^\{LT\} = 1\.896/);
    const layer = new NeuralOde({
      ...config,
      method: 'euler',
      activation: 'tanh',
      hiddenUnits: 5,
      zeroInit: false,
    });
    layer.apply(tf.zeros([1, 3]));
    randomize(layer, 5, 1);
    assert.ok(layer.lipschitzBounds().forward <= (b.forward as number) * (1 + 1e-6));
    assert.ok(layer.lipschitzBounds().inverse <= (b.inverse as number) * (1 + 1e-6));
    // P(z) >= 2: the computed map need not be injective, no inverse bound.
    const coarse = layerBounds(
      {
        kind: 'layer',
        id: 'q',
        layerType: 'NeuralOde',
        origin: 'lipschitz-lens',
        config: { hiddenLayers: 0, coeff: 1.5, steps: 1, time: 1, method: 'euler' },
        range: R,
      },
      { customLayers: [] },
    );
    assert.equal(coarse.inverse, 'unbounded');
    assert.equal(coarse.forward, 2.5);
    const bad = layerBounds(
      {
        kind: 'layer',
        id: 'p',
        layerType: 'NeuralOde',
        origin: 'lipschitz-lens',
        config: { steps: 0 },
        range: R,
      },
      { customLayers: [] },
    );
    assert.equal(bad.forward, 'unknown');
  });

  it('trains by maximum likelihood: the loss goes down', () => {
    const layer = ode({ method: 'rk4', steps: 4, zeroInit: true });
    const data = tf.randomNormal([64, 2], 0, 3, 'float32', 1);
    const flow = new Flow([layer]);
    layer.apply(data);
    const nll = () =>
      tf.tidy(() => {
        const { y, logDet } = flow.forwardWithLogDet(data);
        return tf.mean(tf.sub(tf.mul(0.5, tf.sum(tf.square(y), 1)), logDet)) as tf.Scalar;
      });
    const start = nll().dataSync()[0]!;
    const opt = tf.train.adam(0.05);
    for (let i = 0; i < 15; i++) tf.dispose(opt.minimize(nll, true) ?? []);
    const end = nll().dataSync()[0]!;
    assert.ok(end < start - 0.1, `${start} -> ${end}`);
  });

  it('allocates nothing beyond its results in forward, inverse, log-det and bounds', () => {
    const layer = ode();
    const x = tf.randomNormal([2, 3]);
    layer.apply(x);
    assertInvertibleNoLeak(layer, x);
    const before = tf.memory().numTensors;
    layer.discretisationError(x);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects bad options and images, naming the layer', () => {
    assert.throws(
      () => new NeuralOde({ name: 'm', method: 'midpoint' as 'rk4' }),
      /m: method must be one of/,
    );
    assert.throws(() => new NeuralOde({ name: 's', steps: 0 }), /s: steps must be a positive integer/);
    assert.throws(() => new NeuralOde({ name: 't', time: -1 }), /t: time must be/);
    assert.throws(() => new NeuralOde({ name: 'c', coeff: 0 }), /c: coeff must be/);
    assert.throws(() => new NeuralOde({ name: 'img' }).apply(tf.zeros([1, 2, 2, 2])), /img: .*\[batch, d\]/);
  });

  it('round-trips config and weights through model.json + weights.bin', async () => {
    const layer = ode({ method: 'euler', steps: 5, time: 0.5, coeff: 0.7 });
    const x = tf.randomNormal([2, 4], 0, 1, 'float32', 6);
    layer.apply(x);
    randomize(layer, 1, 9);
    const { copy } = await assertFlowRoundTrip(layer, x);
    assert.deepEqual([copy.method, copy.steps, copy.time, copy.coeff], ['euler', 5, 0.5, 0.7]);
  });
});
