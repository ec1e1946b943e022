import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { layerBounds } from '../../src/bounds';
import { ReversibleBlock, type ReversibleBlockArgs } from '../../src/layers/reversible-block';
import { R } from '../bounds/ir-builders';
import { assertFlowRoundTrip, assertInvertibleNoLeak, assertNoLeak } from '../helpers/layer-checks';
import { jacobian, largestSingularValue, logAbsDet, relError } from '../helpers/linalg';

const block = (args: ReversibleBlockArgs = {}) =>
  new ReversibleBlock({ hiddenUnits: 8, zeroInit: false, seed: 5, activation: 'tanh', ...args });

/** Every weight of `layer` set to gain * N(0, 1) (biases too), from a fixed seed. */
function randomize(layer: tf.layers.Layer, gain: number, seed: number): void {
  layer.trainableWeights.forEach((w, i) =>
    tf.tidy(() => void w.write(tf.randomNormal(w.shape as number[], 0, gain, 'float32', seed + i))),
  );
}

/**
 * Three blocks and a dense read-out, the loss sum(out^2) / n: the gradient of the loss wrt the input and every
 * weight, in the order of `vars`.
 */
function gradients(blocks: ReversibleBlock[], readout: tf.Tensor2D, x: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    const vars = blocks.flatMap((b) => b.trainableWeights.map((w) => w.read()));
    const loss = (input: tf.Tensor, ...ws: tf.Tensor[]): tf.Scalar => {
      void ws; // the weights are read inside the blocks; passing them makes tf.grads differentiate wrt them
      const h = blocks.reduce((acc, b) => b.apply(acc) as tf.Tensor, input);
      return tf.mean(tf.square(tf.matMul(h as tf.Tensor2D, readout)));
    };
    return tf.grads(loss)([x, ...vars]);
  });
}

describe('ReversibleBlock', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('inverse(forward(x)) reconstructs x, and the forward map is y1 = x1 + F(x2), y2 = x2 + G(y1)', () => {
    const layer = block({ hiddenLayers: 1 });
    const x = tf.randomNormal([16, 6], 0, 1, 'float32', 3);
    const y = layer.apply(x) as tf.Tensor;
    assert.ok(relError(y, x) > 1e-2, 'a non-zero-initialised block changes its input');
    assert.ok(relError(layer.inverse(y), x) <= 1e-5);
    // The same weights without the custom gradient give the same output.
    const plain = block({ hiddenLayers: 1, memorySaving: false });
    plain.apply(x);
    plain.setWeights(layer.getWeights());
    assert.ok(relError(plain.apply(x) as tf.Tensor, y) <= 1e-7);
  });

  it('has log-det 0, matching the brute-force Jacobian', () => {
    const layer = block();
    randomize(layer, 0.5, 7);
    const x = tf.randomNormal([1, 4], 0, 1, 'float32', 8);
    layer.apply(x);
    const j = jacobian((z) => layer.apply(z) as tf.Tensor, x);
    assert.ok(Math.abs(logAbsDet(j)) <= 1e-4, `log|det J| = ${logAbsDet(j)}`);
    assert.deepEqual(Array.from(layer.logDetJacobian(tf.zeros([3, 4])).dataSync()), [0, 0, 0]);
  });

  it('rebuilt-activation gradients match ordinary backprop to 1e-5 relative on a three-block net', () => {
    const x = tf.randomNormal([8, 6], 0, 1, 'float32', 9);
    const readout = tf.randomNormal([6, 3], 0, 1, 'float32', 10) as tf.Tensor2D;
    // conditionerNorm: the applied kernels are tensors of the call, not variables, and must outlive it.
    const cases = [
      ...(['tanh', 'relu', 'elu', 'softplus', 'sigmoid', 'linear'] as const).map((activation) => ({
        activation,
      })),
      { activation: 'elu' as const, conditionerNorm: 0.7 },
    ];
    for (const options of cases) {
      const activation = JSON.stringify(options);
      const make = (memorySaving: boolean) =>
        [0, 1, 2].map((i) =>
          block({ name: `b${i}_${memorySaving}`, hiddenLayers: 2, ...options, memorySaving, seed: 20 + i }),
        );
      const saving = make(true);
      const ordinary = make(false);
      saving.forEach((b, i) => {
        b.apply(x);
        randomize(b, 0.4, 100 * i);
        ordinary[i]!.apply(x);
        ordinary[i]!.setWeights(b.getWeights());
      });
      const a = gradients(saving, readout, x);
      const b = gradients(ordinary, readout, x);
      assert.equal(a.length, 1 + 3 * 12);
      a.forEach((g, i) => {
        const e = relError(g, b[i]!);
        assert.ok(e <= 1e-5, `${activation}: gradient ${i} differs by ${e} relative`);
      });
      tf.dispose([...a, ...b]);
    }
  });

  it('keeps no activation of F or G for the backward pass: bytes held at the loss', () => {
    // Four blocks, F and G of two hidden layers of 64: ordinary backprop keeps every layer's input and
    // pre-activation; the memory-saving op keeps each block's output only.
    const held = (memorySaving: boolean, conditionerNorm?: number): number => {
      const blocks = [0, 1, 2, 3].map((i) =>
        block({
          hiddenUnits: 64,
          memorySaving,
          seed: 30 + i,
          ...(conditionerNorm ? { conditionerNorm } : {}),
        }),
      );
      const x = tf.randomNormal([64, 8], 0, 1, 'float32', 31);
      blocks.reduce((h, b) => b.apply(h) as tf.Tensor, x);
      const vars = blocks.flatMap((b) => b.trainableWeights.map((w) => w.read() as tf.Variable));
      const base = tf.memory().numBytes;
      let atLoss = 0;
      const { value, grads } = tf.variableGrads(() => {
        const y = blocks.reduce((h, b) => b.apply(h) as tf.Tensor, x);
        const loss = tf.sum(tf.square(y)) as tf.Scalar;
        atLoss = tf.memory().numBytes - base;
        return loss;
      }, vars);
      tf.dispose([value, x, ...Object.values(grads)]);
      return atLoss;
    };
    const ordinary = held(false);
    const saving = held(true);
    const savingNormed = held(true, 2);
    // Each block's output is [64, 8] float32 = 2048 bytes; F and G hold 2 x 2 x [64, 64] and more ordinarily.
    assert.ok(saving < ordinary / 10, `memory-saving ${saving} bytes vs ordinary ${ordinary}`);
    // With conditionerNorm the projection's factors are constants: nothing more is kept.
    assert.equal(savingNormed, saving);
    console.log(
      `bytes held at the loss, 4 blocks: ordinary ${ordinary}, memory-saving ${saving} (${savingNormed} with conditionerNorm)`,
    );
  });

  it('checkGradients reports the rebuilt gradients against those at the stored input', () => {
    const layer = block({ checkGradients: true });
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 11);
    layer.apply(x);
    randomize(layer, 0.5, 12);
    assert.equal(layer.lastGradientCheck(), undefined);
    tf.dispose(tf.grad((z: tf.Tensor) => tf.sum(tf.square(layer.apply(z) as tf.Tensor)))(x));
    const check = layer.lastGradientCheck()!;
    for (const [k, v] of Object.entries(check)) assert.ok(v <= 1e-5, `${k}: ${v}`);
    // Large weights: y1 = x1 + F(x2) is dominated by F, so float32 loses x1's digits in x1 = y1 - F(x2), and the
    // gradients at the rebuilt input drift from those at the stored one; the check says so.
    const wide = block({ checkGradients: true, activation: 'softplus' });
    wide.apply(x);
    randomize(wide, 10, 13);
    tf.dispose(tf.grad((z: tf.Tensor) => tf.sum(tf.square(wide.apply(z) as tf.Tensor)))(x));
    const worse = wide.lastGradientCheck()!;
    assert.ok(worse.reconstruction > 1e-5 && worse.input > 1e-6, JSON.stringify({ check, worse }));
  });

  it('a linear block on R^2 with a, b > 0 has Jacobian [[1, a], [b, 1 + ab]], its bound attained', () => {
    // hiddenLayers 0: F(x2) = a x2 + c, G(y1) = b y1 + e with a, b the 1x1 kernels.
    const layer = block({ hiddenLayers: 0 });
    const x = tf.tensor2d([[0.3, -0.8]]);
    layer.apply(x);
    layer.setWeights([tf.tensor2d([[1.7]]), tf.tensor1d([0.2]), tf.tensor2d([[0.6]]), tf.tensor1d([-1])]);
    const j = jacobian((z) => layer.apply(z) as tf.Tensor, x);
    assert.deepEqual(
      j.map((r) => r.map((v) => Number(v.toFixed(5)))),
      [
        [1, 1.7],
        [0.6, 2.02],
      ],
    );
    const { forward, inverse } = layer.lipschitzBounds();
    const inv = jacobian((z) => layer.inverse(z), layer.apply(x) as tf.Tensor);
    assert.ok(
      Math.abs(forward - largestSingularValue(j)) <= 1e-5 * forward,
      `${forward} vs ${largestSingularValue(j)}`,
    );
    assert.ok(Math.abs(inverse - largestSingularValue(inv)) <= 1e-5 * inverse);
    assert.ok(forward < (1 + 1.7) * (1 + 0.6), 'tighter than the product of the two couplings');
    // With b = -0.6 the entry 1 + ab shrinks (cancellation the bound cannot see): still below the bound.
    layer.setWeights([tf.tensor2d([[1.7]]), tf.tensor1d([0.2]), tf.tensor2d([[-0.6]]), tf.tensor1d([-1])]);
    assert.ok(largestSingularValue(jacobian((z) => layer.apply(z) as tf.Tensor, x)) < forward);
  });

  it('bounds dominate the brute-force Jacobian norms at random points, both ways', () => {
    for (const seed of [1, 2, 3]) {
      const layer = block({ hiddenLayers: 1, seed, activation: 'elu' });
      const x = tf.randomNormal([1, 6], 0, 3, 'float32', seed);
      layer.apply(x);
      randomize(layer, 1, 50 * seed);
      const { forward, inverse } = layer.lipschitzBounds();
      const fwd = largestSingularValue(jacobian((z) => layer.apply(z) as tf.Tensor, x));
      const inv = largestSingularValue(jacobian((z) => layer.inverse(z), x));
      assert.ok(forward === inverse && Number.isFinite(forward));
      assert.ok(fwd <= forward && inv <= inverse, `observed ${fwd}, ${inv} vs bound ${forward}`);
    }
  });

  it('the static bound from conditionerNorm is the layer bound with every kernel at that norm', () => {
    const config = { hiddenUnits: 4, hiddenLayers: 1, conditionerNorm: 0.5, activation: 'tanh' };
    const b = layerBounds(
      { kind: 'layer', id: 'r', layerType: 'ReversibleBlock', origin: 'lipschitz-lens', config, range: R },
      { customLayers: [] },
    );
    // Lip(F) = Lip(G) <= 0.5^2: sigma_max([[1, 0.25], [0.25, 1.0625]]).
    const m = [
      [1, 0.25],
      [0.25, 1.0625],
    ];
    assert.ok(Math.abs((b.forward as number) - largestSingularValue(m)) <= 1e-12);
    assert.equal(b.inverse, b.forward);
    const layer = new ReversibleBlock({ ...config, activation: 'tanh', zeroInit: false, seed: 4 });
    layer.apply(tf.zeros([1, 6]));
    randomize(layer, 5, 3);
    assert.ok(layer.lipschitzBounds().forward <= (b.forward as number) * (1 + 1e-6));
    const unconstrained = layerBounds(
      {
        kind: 'layer',
        id: 's',
        layerType: 'ReversibleBlock',
        origin: 'lipschitz-lens',
        config: {},
        range: R,
      },
      { customLayers: [] },
    );
    assert.equal(unconstrained.forward, 'unknown');
  });

  it('zero-initialised (the default) starts as the identity with bounds 1', () => {
    const layer = new ReversibleBlock({ hiddenUnits: 4 });
    const x = tf.randomNormal([3, 4]);
    assert.ok(relError(layer.apply(x) as tf.Tensor, x) === 0);
    assert.deepEqual(layer.lipschitzBounds(), { forward: 1, inverse: 1 });
  });

  it('allocates nothing beyond its results in forward, inverse, log-det and a gradient pass', () => {
    const layer = block({ checkGradients: true });
    const x = tf.randomNormal([2, 4]);
    layer.apply(x);
    assertInvertibleNoLeak(layer, x);
    assertNoLeak(() => tf.grad((z: tf.Tensor) => tf.sum(layer.apply(z) as tf.Tensor))(x), 'gradient');
  });

  it('rejects odd widths, images and bad conditioner options, naming the layer', () => {
    assert.throws(() => new ReversibleBlock({ name: 'odd' }).apply(tf.zeros([2, 5])), /odd: .*even/);
    assert.throws(
      () => new ReversibleBlock({ name: 'img' }).apply(tf.zeros([1, 2, 2, 2])),
      /img: .*\[batch, d\]/,
    );
    assert.throws(() => new ReversibleBlock({ name: 'w0', hiddenUnits: 0 }), /w0: hiddenUnits/);
    assert.throws(() => new ReversibleBlock({ name: 'cn', conditionerNorm: -1 }), /cn: conditionerNorm/);
  });

  it('round-trips config and weights through model.json + weights.bin', async () => {
    const layer = block({ conditionerNorm: 2, checkGradients: true });
    const x = tf.randomNormal([2, 6], 0, 1, 'float32', 6);
    layer.apply(x);
    randomize(layer, 1, 9);
    const { copy } = await assertFlowRoundTrip(layer, x);
    assert.equal(copy.checkGradients, true);
    assert.equal(copy.conditionerNorm, 2);
  });
});
