import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { layerBounds } from '../../src/bounds';
import { Flow } from '../../src/layers/flow';
import { MaskedAutoregressive, type MaskedAutoregressiveArgs } from '../../src/layers/masked-autoregressive';
import { AFFINE_SCALES } from '../../src/specs/affine-coupling';
import { madeMasks } from '../../src/specs/masked-autoregressive';
import { R } from '../bounds/ir-builders';
import { assertFlowRoundTrip, assertInvertibleNoLeak } from '../helpers/layer-checks';
import { jacobian, largestSingularValue, logAbsDet, relError } from '../helpers/linalg';

const maf = (args: MaskedAutoregressiveArgs = {}) =>
  new MaskedAutoregressive({ hiddenUnits: 8, zeroInit: false, seed: 3, activation: 'tanh', ...args });

/** Every weight of `layer` set to gain * N(0, 1), from a fixed seed. */
function randomize(layer: tf.layers.Layer, gain: number, seed: number): void {
  layer.trainableWeights.forEach((w, i) =>
    tf.tidy(() => void w.write(tf.randomNormal(w.shape as number[], 0, gain, 'float32', seed + i))),
  );
}

/** The scale half of the last kernel and bias zeroed: s constant (s(0)), t still a function of x_<i. */
function freezeScale(layer: MaskedAutoregressive, d: number): void {
  const ws = layer.trainableWeights;
  for (const w of [ws[ws.length - 2]!, ws[ws.length - 1]!])
    tf.tidy(() => void w.write(tf.mul(w.read(), tf.concat([tf.zeros([d]), tf.ones([d])]))));
}

describe('MADE masks', () => {
  it('output i is connected to input j exactly when j < i (hidden >= d - 1), for 0 to 2 hidden layers', () => {
    for (const [d, hidden, layers] of [
      [1, 3, 1],
      [2, 1, 1],
      [4, 3, 0],
      [4, 3, 1],
      [5, 8, 2],
      [6, 5, 2],
    ] as const) {
      const masks = madeMasks(d, hidden, layers);
      // Boolean reachability through the layers: reach[j][k] = some path from input j to unit k.
      let reach = Array.from({ length: d }, (_, j) => Array.from({ length: d }, (_, k) => (j === k ? 1 : 0)));
      let width: number = d;
      for (const m of masks) {
        const cols = m.length / width;
        reach = reach.map((row) =>
          Array.from({ length: cols }, (_, c) => (row.some((v, r) => v && m[r * cols + c]) ? 1 : 0)),
        );
        width = cols;
      }
      for (let j = 0; j < d; j++)
        for (let o = 0; o < 2 * d; o++)
          assert.equal(
            reach[j]![o],
            j < o % d ? 1 : 0,
            `d ${d} hidden ${hidden}x${layers}: input ${j} -> output ${o}`,
          );
    }
  });
});

describe('MaskedAutoregressive', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const scale of AFFINE_SCALES) {
    it(`${scale}: brute-force Jacobian lower triangular, diagonal s, log-det = log|det J|`, () => {
      const layer = maf({ scale, hiddenLayers: 1 });
      const x = tf.randomNormal([1, 5], 0, 1, 'float32', 4);
      layer.apply(x);
      randomize(layer, 0.5, 10);
      const j = jacobian((z) => layer.apply(z) as tf.Tensor, x);
      for (let i = 0; i < 5; i++)
        for (let k = i + 1; k < 5; k++) assert.equal(j[i]![k], 0, `dy_${i}/dx_${k}`);
      const logDet = layer.logDetJacobian(x).dataSync()[0]!;
      assert.ok(Math.abs(logAbsDet(j) - logDet) <= 1e-4, `${logAbsDet(j)} vs ${logDet}`);
      // Changing x_4 (the last) changes only y_4.
      const moved = tf.tidy(() => tf.add(x, tf.tensor2d([[0, 0, 0, 0, 3]])));
      const [a, b] = [layer.apply(x) as tf.Tensor, layer.apply(moved) as tf.Tensor].map((t) =>
        Array.from(t.dataSync()),
      );
      assert.deepEqual(a!.slice(0, 4), b!.slice(0, 4));
    });

    it(`${scale}: the d-pass inverse reconstructs x`, () => {
      for (const [d, hiddenLayers] of [
        [1, 1],
        [3, 0],
        [6, 2],
      ] as const) {
        const layer = maf({ scale, hiddenLayers });
        const x = tf.randomNormal([16, d], 0, 1, 'float32', d);
        layer.apply(x);
        randomize(layer, 0.3, 20 + d);
        const y = layer.apply(x) as tf.Tensor;
        assert.ok(d === 1 || relError(y, x) > 1e-2);
        const e = relError(layer.inverse(y), x);
        assert.ok(e <= 1e-5, `${scale} d ${d}: ${e}`);
      }
    });
  }

  it('with the scale constant, finite bounds dominate the brute-force Jacobian norms both ways', () => {
    for (const seed of [1, 2, 3, 4]) {
      const d = 4;
      const layer = maf({ seed, hiddenLayers: 1, scale: seed % 2 === 0 ? 'bounded-tanh' : 'sigmoid-floor' });
      const x = tf.randomNormal([1, d], 0, 2, 'float32', seed);
      layer.apply(x);
      randomize(layer, 1, 30 * seed);
      assert.equal(layer.lipschitzBounds().forward, Infinity, 's depends on x: no global bound');
      freezeScale(layer, d);
      const { forward, inverse } = layer.lipschitzBounds();
      assert.ok(Number.isFinite(forward) && Number.isFinite(inverse));
      const fwd = largestSingularValue(jacobian((z) => layer.apply(z) as tf.Tensor, x));
      const y = layer.apply(x) as tf.Tensor;
      const inv = largestSingularValue(jacobian((z) => layer.inverse(z), y));
      assert.ok(fwd <= forward && inv <= inverse, `observed ${fwd}, ${inv} vs bounds ${forward}, ${inverse}`);
    }
  });

  it('statically unbounded, with the scale form gains as a note; rejected options bound nothing', () => {
    const at = (config: Record<string, string | number>) =>
      layerBounds(
        {
          kind: 'layer',
          id: 'm',
          layerType: 'MaskedAutoregressive',
          origin: 'lipschitz-lens',
          config,
          range: R,
        },
        { customLayers: [] },
      );
    const b = at({ scale: 'bounded-tanh', scaleBound: 3 });
    assert.equal(b.forward, 'unbounded');
    assert.equal(b.inverse, 'unbounded');
    assert.match(b.notes[0]!, /gain in x_i <= 3, inverse gain in x_i <= 3/);
    assert.match(at({ scale: 'exp' }).notes[0]!, /gain in x_i <= unbounded/);
    assert.match(at({ scaleBound: 0.5 }).notes[0]!, /rejects its options \(scaleBound/);
  });

  it('zero-initialised (the default) with bounded-tanh starts as the identity', () => {
    const layer = new MaskedAutoregressive({ hiddenUnits: 4 });
    const x = tf.randomNormal([3, 4]);
    assert.equal(relError(layer.apply(x) as tf.Tensor, x), 0);
    assert.deepEqual(Array.from(layer.logDetJacobian(x).dataSync()), [0, 0, 0]);
  });

  it('trains by maximum likelihood: the loss goes down', () => {
    const layer = maf({ zeroInit: true, hiddenLayers: 1 });
    const data = tf.tidy(() => {
      const a = tf.randomNormal([64, 1], 0, 1, 'float32', 1);
      return tf.concat([a, tf.add(tf.mul(a, 2), tf.randomNormal([64, 1], 0, 0.1, 'float32', 2))], 1);
    });
    const flow = new Flow([layer]);
    const nll = () =>
      tf.tidy(() => {
        const { y, logDet } = flow.forwardWithLogDet(data);
        return tf.mean(tf.sub(tf.mul(0.5, tf.sum(tf.square(y), 1)), logDet)) as tf.Scalar;
      });
    layer.apply(data);
    const start = nll().dataSync()[0]!;
    const opt = tf.train.adam(0.05);
    for (let i = 0; i < 20; i++) tf.dispose(opt.minimize(nll, true) ?? []);
    const end = nll().dataSync()[0]!;
    assert.ok(end < start - 0.1, `${start} -> ${end}`);
  });

  it('allocates nothing beyond its results in forward, inverse, log-det and bounds', () => {
    const layer = maf();
    const x = tf.randomNormal([2, 4]);
    layer.apply(x);
    assertInvertibleNoLeak(layer, x);
  });

  it('rejects images and bad options, naming the layer', () => {
    assert.throws(
      () => new MaskedAutoregressive({ name: 'img' }).apply(tf.zeros([1, 2, 2, 2])),
      /img: .*\[batch, d\]/,
    );
    assert.throws(() => new MaskedAutoregressive({ name: 'sb', scaleBound: 1 }), /sb: scaleBound/);
    assert.throws(() => new MaskedAutoregressive({ name: 'hl', hiddenLayers: -1 }), /hl: hiddenLayers/);
  });

  it('round-trips config and weights through model.json + weights.bin', async () => {
    const layer = maf({ scale: 'sigmoid-floor', scaleFloor: 0.1, conditionerNorm: 2 });
    const x = tf.randomNormal([2, 5], 0, 1, 'float32', 6);
    layer.apply(x);
    randomize(layer, 0.5, 9);
    const { copy } = await assertFlowRoundTrip(layer, x);
    assert.equal(copy.scale, 'sigmoid-floor');
    assert.equal(copy.scaleFloor, 0.1);
  });
});
