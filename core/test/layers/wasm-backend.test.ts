/**
 * Issue 12, item 6: every layer of this project runs forward, inverse, log-det and the gradients the probes take
 * (input gradients through forward and inverse, weight gradients) on the wasm backend, with the values the cpu
 * backend gives. A kernel missing on wasm used to send probes silently to cpu.
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
import { LIPSCHITZ_ACTIVATIONS } from '../../src/layers/lipschitz-activations';
import { MaskedAutoregressive } from '../../src/layers/masked-autoregressive';
import { MultiScaleFlow } from '../../src/layers/multi-scale-flow';
import { NeuralOde } from '../../src/layers/neural-ode';
import { Permutation } from '../../src/layers/permutation';
import { ReversibleBlock } from '../../src/layers/reversible-block';
import { SpectralConv2D } from '../../src/layers/spectral-conv2d';
import { SpectralDense } from '../../src/layers/spectral-dense';
import { Squeeze } from '../../src/layers/squeeze';

/** What the probes use of a model: forward, and for invertible ones inverse and log-det; its trainable weights. */
interface Subject {
  forward: (x: tf.Tensor) => tf.Tensor;
  inverse?: (y: tf.Tensor) => tf.Tensor;
  logDet?: (x: tf.Tensor) => tf.Tensor;
  weights: () => tf.Variable[];
}

interface Case {
  name: string;
  make: () => Subject;
  shape: number[];
}

/** What one backend computes for a subject: every entry flattened to numbers, or the error it threw. */
type Outputs = Record<string, number[] | string>;

function variables(layers: readonly tf.layers.Layer[]): tf.Variable[] {
  return layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
}

function layer(l: tf.layers.Layer): Subject {
  const inv = l as Partial<InvertibleLayer>;
  return {
    forward: (x) => l.apply(x) as tf.Tensor,
    ...(inv.inverse === undefined ? {} : { inverse: (y: tf.Tensor) => inv.inverse!(y) }),
    ...(inv.logDetJacobian === undefined ? {} : { logDet: (x: tf.Tensor) => inv.logDetJacobian!(x) }),
    weights: () => variables([l]),
  };
}

function flow(f: Flow): Subject {
  return {
    forward: (x) => f.forward(x),
    inverse: (y) => f.inverse(y),
    logDet: (x) => f.logDetJacobian(x),
    weights: () => variables(f.blocks),
  };
}

/** A multi-scale flow as the probes see it: a bijection onto the flattened latents. */
function multiScale(f: MultiScaleFlow): Subject {
  return {
    forward: (x) => f.flatten(f.forward(x).latents),
    inverse: (y) => f.inverse(f.unflatten(y)),
    logDet: (x) => f.logDetJacobian(x),
    weights: () => variables(f.steps),
  };
}

function glowStep(seed: number): InvertibleLayer[] {
  return [
    new ActNorm(),
    new InvertibleConv1x1({ seed }),
    new AffineCoupling({ zeroInit: false, hiddenChannels: 4, seed: seed + 1, scale: 'exp' }),
    new Permutation({ seed }),
    new AdditiveCoupling({ zeroInit: false, hiddenChannels: 4, seed: seed + 2 }),
  ];
}

const CASES: Case[] = [
  { name: 'Permutation (shuffle)', make: () => layer(new Permutation({ seed: 3 })), shape: [4, 6] },
  {
    name: 'Permutation (reverse, NHWC)',
    make: () => layer(new Permutation({ mode: 'reverse' })),
    shape: [2, 2, 2, 5],
  },
  { name: 'Squeeze', make: () => layer(new Squeeze()), shape: [2, 4, 4, 2] },
  { name: 'ActNorm', make: () => layer(new ActNorm()), shape: [4, 6] },
  { name: 'InvertibleLinear', make: () => layer(new InvertibleLinear({ seed: 1 })), shape: [4, 6] },
  { name: 'InvertibleConv1x1', make: () => layer(new InvertibleConv1x1({ seed: 2 })), shape: [2, 3, 3, 4] },
  {
    name: 'AdditiveCoupling',
    make: () => layer(new AdditiveCoupling({ zeroInit: false, hiddenUnits: 8, seed: 4 })),
    shape: [4, 6],
  },
  ...(['exp', 'sigmoid-floor', 'bounded-tanh'] as const).map((scale) => ({
    name: `AffineCoupling (${scale})`,
    make: () =>
      layer(
        new AffineCoupling({
          zeroInit: false,
          hiddenChannels: 4,
          seed: 5,
          scale,
          scaleFloor: 0.2,
          scaleBound: 2,
        }),
      ),
    shape: [2, 3, 3, 4],
  })),
  ...LIPSCHITZ_ACTIVATIONS.map((activation) => ({
    name: `InvertibleResidual (${activation})`,
    make: () => layer(new InvertibleResidual({ hiddenUnits: [8], coeff: 0.9, activation, seed: 6 })),
    shape: [4, 6],
  })),
  {
    name: 'InvertibleResidual (series log-det)',
    make: () => layer(new InvertibleResidual({ hiddenUnits: [8], coeff: 0.5, logDet: 'series', seed: 7 })),
    shape: [4, 6],
  },
  {
    name: 'SpectralDense',
    make: () => layer(new SpectralDense({ units: 5, coeff: 0.9, seed: 8 })),
    shape: [4, 6],
  },
  {
    name: 'SpectralConv2D',
    make: () =>
      layer(new SpectralConv2D({ filters: 3, kernelSize: 3, padding: 'same', coeff: 0.9, seed: 9 })),
    shape: [2, 4, 4, 2],
  },
  {
    name: 'SpectralConv2D (stride 2, valid, odd size)',
    make: () =>
      layer(
        new SpectralConv2D({ filters: 2, kernelSize: 3, strides: 2, padding: 'valid', coeff: 0.9, seed: 11 }),
      ),
    shape: [2, 7, 7, 3],
  },
  {
    name: 'SpectralConv2D (stride 2, same, odd size)',
    make: () =>
      layer(
        new SpectralConv2D({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', coeff: 0.9, seed: 12 }),
      ),
    shape: [2, 7, 7, 3],
  },
  ...[true, false].map((memorySaving) => ({
    name: `ReversibleBlock (memorySaving ${memorySaving})`,
    make: () =>
      layer(
        new ReversibleBlock({ zeroInit: false, hiddenUnits: 8, activation: 'elu', memorySaving, seed: 13 }),
      ),
    shape: [4, 6],
  })),
  {
    name: 'MaskedAutoregressive',
    make: () => layer(new MaskedAutoregressive({ zeroInit: false, hiddenUnits: 8, seed: 14 })),
    shape: [4, 5],
  },
  ...(['euler', 'rk4'] as const).map((method) => ({
    name: `NeuralOde (${method})`,
    make: () =>
      layer(new NeuralOde({ zeroInit: false, hiddenUnits: 8, hiddenLayers: 1, method, steps: 3, seed: 15 })),
    shape: [4, 3],
  })),
  {
    name: 'Flow (Glow step with a Permutation)',
    make: () => flow(new Flow(glowStep(10))),
    shape: [2, 4, 4, 4],
  },
  {
    name: 'MultiScaleFlow',
    make: () => multiScale(new MultiScaleFlow({ levels: [glowStep(20), glowStep(30)] })),
    shape: [2, 8, 8, 2],
  },
];

function input(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Runs one computation, keeping its values or, when it throws, its message. */
function attempt(out: Outputs, key: string, f: () => tf.Tensor | tf.Tensor[]): void {
  try {
    const t = f();
    out[key] = (Array.isArray(t) ? t : [t]).flatMap((x) => Array.from(x.dataSync()));
  } catch (e) {
    out[key] = e instanceof Error ? e.message : String(e);
  }
}

/** Forward, inverse, log-det, and the input and weight gradients the probes take, on the active backend. */
function run(subject: Subject, shape: number[]): Outputs {
  return tf.tidy(() => {
    const out: Outputs = {};
    const x = input(shape, 1);
    const y = subject.forward(x);
    const u = tf.randomNormal(y.shape, 0, 1, 'float32', 2);
    const vars = subject.weights();
    const weightGrads = (f: () => tf.Tensor): tf.Tensor[] => {
      const { grads } = tf.variableGrads(() => tf.sum(f()) as tf.Scalar, vars);
      return vars.map((v) => grads[v.name] ?? tf.zeros([0]));
    };
    out['forward'] = Array.from(y.dataSync());
    // J^T u: what the Jacobian, spectral and memory-backprop probes take; weight gradients: memory-backprop.
    attempt(out, 'forward input gradient', () =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(subject.forward(t), u)))(x),
    );
    if (vars.length > 0)
      attempt(out, 'forward weight gradient', () => weightGrads(() => tf.mul(subject.forward(x), u)));
    const { inverse, logDet } = subject;
    if (inverse !== undefined) {
      attempt(out, 'inverse', () => inverse(y));
      // The attack's objective, differentiated through forward and inverse.
      const back = (t: tf.Tensor): tf.Tensor => tf.mul(inverse(subject.forward(t)), u.reshape(x.shape));
      attempt(out, 'round-trip input gradient', () => tf.grad((t: tf.Tensor) => tf.sum(back(t)))(x));
      if (vars.length > 0)
        attempt(out, 'inverse weight gradient', () => weightGrads(() => tf.mul(inverse(y), x)));
    }
    if (logDet !== undefined) {
      attempt(out, 'log-det', () => logDet(x));
      attempt(out, 'log-det input gradient', () => tf.grad((t: tf.Tensor) => tf.sum(logDet(t)))(x));
      if (vars.length > 0) attempt(out, 'log-det weight gradient', () => weightGrads(() => logDet(x)));
    }
    return out;
  });
}

function assertClose(name: string, wasm: Outputs, cpu: Outputs): void {
  assert.deepEqual(Object.keys(wasm).sort(), Object.keys(cpu).sort(), name);
  for (const key of Object.keys(cpu)) {
    const a = wasm[key]!;
    const b = cpu[key]!;
    // What fails on cpu too (e.g. a gradient through a float64 log-det) is not the backend's doing.
    if (typeof b === 'string' || typeof a === 'string') {
      assert.equal(a, b, `${name}: ${key} on wasm vs cpu`);
      continue;
    }
    assert.equal(a.length, b.length, `${name}: ${key} length`);
    const scale = Math.max(1, ...b.map(Math.abs));
    for (let i = 0; i < b.length; i++) {
      assert.ok(Number.isFinite(a[i]), `${name}: ${key}[${i}] is ${a[i]} on wasm`);
      // float32 with different summation orders (wasm uses XNNPACK): a few hundred ulps of the largest value.
      assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * scale, `${name}: ${key}[${i}] wasm ${a[i]} vs cpu ${b[i]}`);
    }
  }
}

describe('every layer on the wasm backend', () => {
  before(async () => {
    const choice = await selectBackend({ prefer: 'wasm' });
    assert.equal(choice.kind, 'wasm', `wasm backend did not initialise: ${choice.notes.join('; ')}`);
  });

  for (const c of CASES) {
    it(`${c.name}: forward, inverse, log-det and gradients match cpu`, async () => {
      // One fresh subject per backend, from the same seeds: the series log-det draws new probes on each call.
      await tf.setBackend('cpu');
      const cpu = run(c.make(), c.shape);
      await tf.setBackend('wasm');
      const wasm = run(c.make(), c.shape);
      assert.ok(
        Array.isArray(cpu['forward input gradient']),
        `${c.name}: ${String(cpu['forward input gradient'])}`,
      );
      assertClose(c.name, wasm, cpu);
    });
  }

  // Training calls run power iteration through the kernel (conv2dTranspose, whose filter gradient wasm lacked).
  const TRAINED: Array<[string, () => tf.layers.Layer, number[]]> = [
    [
      'SpectralConv2D',
      () => new SpectralConv2D({ filters: 3, kernelSize: 3, padding: 'same', seed: 13 }),
      [2, 4, 4, 2],
    ],
    [
      'SpectralConv2D (stride 2)',
      () => new SpectralConv2D({ filters: 2, kernelSize: 3, strides: 2, seed: 14 }),
      [2, 7, 7, 3],
    ],
    ['SpectralDense', () => new SpectralDense({ units: 3, seed: 15 }), [4, 6]],
    ['InvertibleResidual', () => new InvertibleResidual({ hiddenUnits: [8], seed: 16 }), [4, 6]],
    ['ActNorm', () => new ActNorm(), [4, 6]],
  ];
  for (const [name, make, shape] of TRAINED) {
    it(`${name}: weight gradients of a training call match cpu`, async () => {
      const trainingGradients = (): Outputs =>
        tf.tidy(() => {
          const l = make();
          const x = input(shape, 1);
          const y = l.apply(x, { training: true }) as tf.Tensor;
          const u = tf.randomNormal(y.shape, 0, 1, 'float32', 2);
          const vars = variables([l]);
          const { grads } = tf.variableGrads(
            () => tf.sum(tf.mul(l.apply(x, { training: true }) as tf.Tensor, u)) as tf.Scalar,
            vars,
          );
          return { 'weight gradient': vars.flatMap((v) => Array.from(grads[v.name]!.dataSync())) };
        });
      await tf.setBackend('cpu');
      const cpu = trainingGradients();
      await tf.setBackend('wasm');
      let wasm: Outputs;
      try {
        wasm = trainingGradients();
      } catch (e) {
        wasm = { 'weight gradient': e instanceof Error ? e.message : String(e) };
      }
      assertClose(name, wasm, cpu);
    });
  }
});
