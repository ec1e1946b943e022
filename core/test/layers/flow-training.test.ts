/**
 * Issue 13, item 1: every flow block of this library trains by maximum likelihood with its defaults on wasm: a
 * few Adam steps on a small correlated, shifted Gaussian data set lower the negative log-likelihood, nothing
 * throws, and no step leaves a tensor behind. Blocks without weights (Permutation, Squeeze) train inside a flow
 * with a coupling, so the gradient must pass through them.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectBackend } from '../../src/backend/select-backend';
import { ActNorm } from '../../src/layers/act-norm';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import { Flow, type InvertibleLayer } from '../../src/layers/flow';
import { InvertibleConv1x1 } from '../../src/layers/invertible-conv1x1';
import { InvertibleLinear } from '../../src/layers/invertible-linear';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import type { Kwargs } from '../../src/layers/layer-util';
import { LIPSCHITZ_ACTIVATIONS } from '../../src/layers/lipschitz-activations';
import { MaskedAutoregressive } from '../../src/layers/masked-autoregressive';
import { MultiScaleFlow } from '../../src/layers/multi-scale-flow';
import { NeuralOde } from '../../src/layers/neural-ode';
import { Permutation } from '../../src/layers/permutation';
import { ReversibleBlock } from '../../src/layers/reversible-block';
import { SeededRandom } from '../../src/layers/seeded-random';
import { Squeeze } from '../../src/layers/squeeze';
import type { AffineScale } from '../../src/specs/affine-coupling';

before(async () => {
  const choice = await selectBackend({ prefer: 'wasm' });
  assert.equal(choice.kind, 'wasm', choice.notes.join('; '));
});

const VECTOR = [4];
const IMAGE = [4, 4, 2];

/** Latents flattened to [batch, D] and log|det| per example. */
type Pass = (x: tf.Tensor, kwargs: Kwargs) => { z: tf.Tensor2D; logDet: tf.Tensor1D };

interface Trainee {
  train: Pass;
  /** Deterministic pass for the before/after figures (the series log-det is stochastic: its exact twin). */
  evaluate: Pass;
}

interface Case {
  name: string;
  /** log|det| is a constant (additive couplings): no gradient to check. */
  volumePreserving?: true;
  /** One point, without the batch axis. */
  shape: number[];
  make: () => Trainee;
}

function flow(blocks: InvertibleLayer[]): Trainee {
  const f = new Flow(blocks);
  const pass: Pass = (x, kwargs) => {
    const { y, logDet } = f.forwardWithLogDet(x, kwargs);
    return { z: tf.reshape(y, [x.shape[0]!, -1]), logDet };
  };
  return { train: pass, evaluate: pass };
}

/** An i-ResNet block trained as configured, evaluated by an exact-log-det copy of its current weights. */
function residual(args: ConstructorParameters<typeof InvertibleResidual>[0]): Trainee {
  const block = new InvertibleResidual(args);
  const twin = new InvertibleResidual({ ...args, logDet: 'exact' });
  block.build([null, ...VECTOR]);
  twin.build([null, ...VECTOR]);
  const trained = flow([block]);
  const exact = flow([twin]);
  return {
    train: trained.train,
    evaluate: (x, kwargs) => {
      twin.setWeights(block.getWeights());
      return exact.evaluate(x, kwargs);
    },
  };
}

function multiScale(levels: InvertibleLayer[][]): Trainee {
  const f = new MultiScaleFlow({ levels });
  const pass: Pass = (x, kwargs) => {
    const { latents, logDet } = f.forwardWithLogDet(x, kwargs);
    return { z: f.flatten(latents) as tf.Tensor2D, logDet };
  };
  return { train: pass, evaluate: pass };
}

const SCALES: AffineScale[] = ['exp', 'sigmoid', 'bounded-tanh', 'sigmoid-floor'];

const CASES: Case[] = [
  ...SCALES.map((scale) => ({
    name: `AffineCoupling (${scale})`,
    shape: VECTOR,
    make: () =>
      flow([
        new AffineCoupling({ scale, hiddenUnits: 16, seed: 1 }),
        new Permutation({ mode: 'reverse' }),
        new AffineCoupling({ scale, hiddenUnits: 16, seed: 2 }),
      ]),
  })),
  {
    name: 'AffineCoupling (conv conditioner)',
    shape: IMAGE,
    make: () => flow([new AffineCoupling({ hiddenChannels: 8, seed: 3 })]),
  },
  {
    name: 'AdditiveCoupling',
    volumePreserving: true,
    shape: VECTOR,
    make: () =>
      flow([
        new AdditiveCoupling({ hiddenUnits: 16, seed: 4 }),
        new Permutation({ mode: 'reverse' }),
        new AdditiveCoupling({ hiddenUnits: 16, seed: 5 }),
      ]),
  },
  // Defaults: initialised from the first training batch, then trained.
  { name: 'ActNorm', shape: VECTOR, make: () => flow([new ActNorm()]) },
  { name: 'ActNorm (no data init)', shape: VECTOR, make: () => flow([new ActNorm({ dataInit: false })]) },
  {
    name: 'ActNorm (log scale, bound 4)',
    shape: VECTOR,
    make: () => flow([new ActNorm({ dataInit: false, scaleParam: 'log', scaleBound: 4 })]),
  },
  { name: 'InvertibleLinear', shape: VECTOR, make: () => flow([new InvertibleLinear({ seed: 6 })]) },
  { name: 'InvertibleConv1x1', shape: IMAGE, make: () => flow([new InvertibleConv1x1({ seed: 7 })]) },
  {
    name: 'Permutation (shuffle) + AffineCoupling',
    shape: VECTOR,
    make: () => flow([new Permutation({ seed: 8 }), new AffineCoupling({ hiddenUnits: 16, seed: 9 })]),
  },
  {
    name: 'Squeeze + AffineCoupling',
    shape: IMAGE,
    make: () => flow([new Squeeze(), new AffineCoupling({ hiddenChannels: 8, seed: 10 })]),
  },
  {
    name: 'InvertibleResidual (defaults)',
    shape: VECTOR,
    make: () => residual({ hiddenUnits: [16], seed: 11 }),
  },
  ...LIPSCHITZ_ACTIVATIONS.flatMap((activation) =>
    (['exact', 'series'] as const).map((logDet) => ({
      name: `InvertibleResidual (${activation}, ${logDet})`,
      shape: VECTOR,
      make: () => residual({ hiddenUnits: [16], activation, logDet, seed: 12 }),
    })),
  ),
  // Issue 13, item 2: the new blocks, with their defaults.
  {
    name: 'ReversibleBlock (memory-saving backward)',
    volumePreserving: true,
    shape: VECTOR,
    make: () =>
      flow([
        new ReversibleBlock({ hiddenUnits: 16, seed: 15 }),
        new ReversibleBlock({ hiddenUnits: 16, seed: 16 }),
      ]),
  },
  {
    name: 'MaskedAutoregressive',
    shape: VECTOR,
    make: () =>
      flow([
        new MaskedAutoregressive({ hiddenUnits: 16, seed: 17 }),
        new Permutation({ mode: 'reverse' }),
        new MaskedAutoregressive({ hiddenUnits: 16, seed: 18 }),
      ]),
  },
  ...(['rk4', 'euler'] as const).map((method) => ({
    name: `NeuralOde (${method})`,
    shape: VECTOR,
    make: () => flow([new NeuralOde({ hiddenUnits: 16, method, seed: 19 })]),
  })),
  {
    name: 'MultiScaleFlow',
    shape: IMAGE,
    make: () =>
      multiScale([
        [new AffineCoupling({ hiddenChannels: 8, seed: 13 })],
        [new AffineCoupling({ hiddenChannels: 8, seed: 14 })],
      ]),
  },
];

/** x = z A + 1 per point (A mixes neighbouring coordinates, scale ~2): correlated, shifted, not unit variance. */
function data(shape: number[], batch: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const rng = new SeededRandom(2026);
  const z = Array.from({ length: batch }, () => Array.from({ length: size }, () => rng.normal()));
  const x = z.flatMap((row) => row.map((v, i) => 1 + 2 * v + 0.8 * row[(i + 1) % size]! * (i % 2 ? 1 : -1)));
  return tf.tensor(x, [batch, ...shape]);
}

/** Mean negative log-likelihood per dimension (nats) under a standard normal base. */
function nll(pass: Pass, x: tf.Tensor, kwargs: Kwargs): tf.Scalar {
  return tf.tidy(() => {
    const { z, logDet } = pass(x, kwargs);
    const dims = z.shape[1];
    const perExample = tf.sub(tf.mul(0.5, tf.sum(tf.square(z), 1)), logDet);
    return tf.div(tf.add(tf.mean(perExample), 0.5 * dims * Math.log(2 * Math.PI)), dims) as tf.Scalar;
  });
}

const STEPS = 12;
const figures: string[] = [];

describe('every flow block trains by maximum likelihood on wasm', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const x = data(c.shape, 64);
      const trainee = c.make();
      const evaluate = (): number => tf.tidy(() => nll(trainee.evaluate, x, {}).dataSync()[0]!);
      const optimizer = tf.train.adam(0.02);
      const started = Date.now();
      const before = evaluate();
      const counts: number[] = [];
      for (let step = 0; step < STEPS; step++) {
        const loss = optimizer.minimize(() => nll(trainee.train, x, { training: true }), true);
        assert.ok(
          Number.isFinite(loss!.dataSync()[0]),
          `${c.name}: step ${step} loss ${loss!.dataSync()[0]}`,
        );
        loss!.dispose();
        counts.push(tf.memory().numTensors);
      }
      const after = evaluate();
      figures.push(
        `${c.name}: ${before.toFixed(3)} -> ${after.toFixed(3)} nats/dim in ${STEPS} steps, ${Date.now() - started} ms`,
      );
      // The first step creates Adam's moment slots; after it, no step may add a tensor.
      assert.deepEqual(
        counts.slice(1),
        Array<number>(STEPS - 1).fill(counts[1]!),
        `${c.name}: tensors per step`,
      );
      assert.ok(after < before - 0.01, `${c.name}: NLL ${before} -> ${after}`);
      if (!c.volumePreserving) {
        // The log-det term itself carries a gradient (a value read back to the CPU would not, yet lowers the NLL
        // through the 0.5 |z|^2 term alone).
        const { value, grads } = tf.variableGrads(() => tf.mean(trainee.train(x, {}).logDet) as tf.Scalar);
        const norm = Object.values(grads).reduce(
          (s, g) => s + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]!),
          0,
        );
        assert.ok(norm > 0 && Number.isFinite(norm), `${c.name}: |d logdet / d weights|^2 = ${norm}`);
        tf.dispose([value, ...Object.values(grads)]);
      }
      optimizer.dispose();
      x.dispose();
    });
  }

  it('prints the figures', () => console.log(figures.join('\n')));
});
