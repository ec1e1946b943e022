/**
 * Random configurations of every layer type for the bound property test: each case builds a layer on the
 * current backend (random options, random or trained weights) and the IR LayerNode an extractor would read from
 * the same options, so the layer's own bounds and the static calculus's can both be held against measurement.
 */
import * as tf from '@tensorflow/tfjs';
import { computeBounds } from '../../src/bounds';
import type { ConfigValue, LayerNode } from '../../src/ir/model-ir';
import { ActNorm } from '../../src/layers/act-norm';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { type AffineScale, AffineCoupling } from '../../src/layers/affine-coupling';
import type { ConditionerActivation } from '../../src/layers/coupling-net';
import type { InvertibleLayer } from '../../src/layers/flow';
import { InvertibleConv1x1 } from '../../src/layers/invertible-conv1x1';
import { InvertibleLinear } from '../../src/layers/invertible-linear';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import { MaskedAutoregressive } from '../../src/layers/masked-autoregressive';
import { LIPSCHITZ_ACTIVATIONS } from '../../src/layers/lipschitz-activations';
import { MultiScaleFlow } from '../../src/layers/multi-scale-flow';
import { NeuralOde } from '../../src/layers/neural-ode';
import { Permutation } from '../../src/layers/permutation';
import { ReversibleBlock } from '../../src/layers/reversible-block';
import { SeededRandom } from '../../src/layers/seeded-random';
import { SpectralConv2D } from '../../src/layers/spectral-conv2d';
import { SpectralDense } from '../../src/layers/spectral-dense';
import { Squeeze } from '../../src/layers/squeeze';
import { fileOf, R } from '../bounds/ir-builders';
import {
  type Case,
  type CaseGenerator,
  clean,
  disposeWeights,
  growOutput,
  growResidual,
  int,
  invertibleSubject,
  nextId,
  node,
  pick,
  randomizeWeights,
  seedOf,
  sizeOf,
  staticOf,
  type Subject,
  train,
} from './case-util';

export type { Case, CaseGenerator, Subject } from './case-util';

const COEFFS = [0.5, 0.9, 0.99, 1, 3];
const CONDITIONER_ACTIVATIONS: ConditionerActivation[] = [
  'relu',
  'tanh',
  'elu',
  'softplus',
  'sigmoid',
  'linear',
];
const AFFINE_SCALES: AffineScale[] = ['exp', 'sigmoid', 'bounded-tanh', 'sigmoid-floor'];

// ---- spectral layers (forward only: not invertible) ----

/** A spectral layer as a subject: forward only (not invertible alone), its lipschitzConstant() as the claim. */
function spectralSubject(
  layer: SpectralDense | SpectralConv2D,
  inputShape: number[],
  outputShape: number[],
  statics: Subject['static'],
): Subject {
  return {
    inputShape,
    outputShape,
    forward: (x) => layer.apply(x) as tf.Tensor,
    runtime: { forward: layer.lipschitzConstant() },
    static: statics,
    dispose: () => disposeWeights([layer]),
  };
}

function spectralDense(trained: boolean): CaseGenerator {
  return (rng, i) => {
    const inDim = int(rng, 2, 6);
    const config = clean({
      units: int(rng, 2, 6),
      coeff: pick(rng, COEFFS),
      activation: pick(rng, LIPSCHITZ_ACTIVATIONS),
      useBias: rng.uniform() < 0.5,
      powerIterations: pick(rng, [1, 1, 2]),
      initialPowerIterations: pick(rng, [1, 5, 30, 30]),
      seed: seedOf(rng),
    });
    const gain = pick(rng, [0.3, 1, 3, 10]);
    const wseed = seedOf(rng);
    return {
      type: trained ? 'SpectralDense (50 steps)' : 'SpectralDense',
      label: `#${i} in ${inDim} ${JSON.stringify(config)} gain ${gain}`,
      make: () => {
        const layer = new SpectralDense(config as unknown as ConstructorParameters<typeof SpectralDense>[0]);
        layer.build([null, inDim]);
        randomizeWeights(layer, new SeededRandom(wseed), gain, /kernel/);
        layer.warmUp(config['initialPowerIterations'] as number);
        if (trained) train(layer, [inDim], growOutput);
        return spectralSubject(
          layer,
          [inDim],
          [config['units'] as number],
          staticOf('SpectralDense', config),
        );
      },
    };
  };
}

function spectralConv(trained: boolean): CaseGenerator {
  return (rng, i) => {
    const kernelSize = pick(rng, [1, 3]);
    const strides = pick(rng, [1, 2]);
    const padding = pick(rng, ['same', 'valid'] as const);
    const h = int(rng, 3, 6);
    const w = int(rng, 3, 6);
    const cin = int(rng, 1, 2);
    const config = clean({
      filters: int(rng, 1, 3),
      kernelSize,
      strides,
      padding,
      coeff: pick(rng, COEFFS),
      activation: pick(rng, LIPSCHITZ_ACTIVATIONS),
      useBias: rng.uniform() < 0.5,
      powerIterations: pick(rng, [1, 1, 2]),
      initialPowerIterations: pick(rng, [1, 5, 30, 30]),
      seed: seedOf(rng),
    });
    const gain = pick(rng, [0.3, 1, 3, 10]);
    const wseed = seedOf(rng);
    return {
      type: trained ? 'SpectralConv2D (50 steps)' : 'SpectralConv2D',
      label: `#${i} input ${h}x${w}x${cin} ${JSON.stringify(config)} gain ${gain}`,
      make: () => {
        const layer = new SpectralConv2D(
          config as unknown as ConstructorParameters<typeof SpectralConv2D>[0],
        );
        layer.build([null, h, w, cin]);
        randomizeWeights(layer, new SeededRandom(wseed), gain, /kernel/);
        layer.warmUp(config['initialPowerIterations'] as number);
        if (trained) train(layer, [h, w, cin], growOutput);
        const out = layer.computeOutputShape([null, h, w, cin]).slice(1) as number[];
        return spectralSubject(layer, [h, w, cin], out, staticOf('SpectralConv2D', config));
      },
    };
  };
}

// ---- i-ResNet ----

function invertibleResidual(trained: boolean): CaseGenerator {
  return (rng, i) => {
    const d = int(rng, 2, 6);
    const config = clean({
      hiddenUnits: Array.from({ length: int(rng, 0, 2) }, () => int(rng, 2, 8)),
      coeff: pick(rng, [0.5, 0.9, 0.95, 0.99, 0.3 + 0.69 * rng.uniform()]),
      activation: pick(rng, ['elu', 'relu', 'tanh', 'lipswish', 'leakyRelu', 'sigmoid', 'linear']),
      powerIterations: pick(rng, [1, 1, 2]),
      initialPowerIterations: pick(rng, [5, 30, 30]),
      seed: seedOf(rng),
    });
    return {
      type: trained ? 'InvertibleResidual (50 steps)' : 'InvertibleResidual',
      label: `#${i} d ${d} ${JSON.stringify(config)}`,
      make: () => {
        const layer = new InvertibleResidual(
          config as unknown as ConstructorParameters<typeof InvertibleResidual>[0],
        );
        layer.build([null, d]);
        if (trained) train(layer, [d], growResidual);
        return {
          inputShape: [d],
          outputShape: [d],
          forward: (x) => layer.apply(x) as tf.Tensor,
          iterativeInverse: (y) => layer.inverse(y),
          runtime: layer.lipschitzBounds(),
          static: staticOf('InvertibleResidual', config),
          dispose: () => disposeWeights([layer]),
        };
      },
    };
  };
}

// ---- couplings ----

/** A rank-2 [d] or small NHWC [h, w, c] input with an even channel count. */
function couplingShape(rng: SeededRandom): number[] {
  return rng.uniform() < 0.6 ? [2 * int(rng, 1, 3)] : [int(rng, 1, 3), int(rng, 1, 3), 2 * int(rng, 1, 2)];
}

function couplingOptions(rng: SeededRandom): Record<string, ConfigValue | undefined> {
  return {
    hiddenUnits: int(rng, 2, 8),
    hiddenChannels: int(rng, 2, 4),
    hiddenLayers: int(rng, 0, 2),
    activation: pick(rng, CONDITIONER_ACTIVATIONS),
    zeroInit: rng.uniform() < 0.2,
    seed: seedOf(rng),
  };
}

const additiveCoupling: CaseGenerator = (rng, i) => {
  const shape = couplingShape(rng);
  const config = clean(couplingOptions(rng));
  const gain = pick(rng, [0, 0.3, 1, 3]);
  const wseed = seedOf(rng);
  return {
    type: 'AdditiveCoupling',
    label: `#${i} input [${shape}] ${JSON.stringify(config)} gain ${gain}`,
    make: () => {
      const layer = new AdditiveCoupling(config as ConstructorParameters<typeof AdditiveCoupling>[0]);
      layer.build([null, ...shape]);
      if (gain > 0) randomizeWeights(layer, new SeededRandom(wseed), gain);
      return invertibleSubject(layer, shape, staticOf('AdditiveCoupling', config));
    },
  };
};

/**
 * RevNet blocks on [d] vectors: half with the memory-saving custom gradient (so the measured Jacobian also goes
 * through its hand-written backward pass), half with plain autodiff; a third bound F and G by conditionerNorm.
 */
const reversibleBlock: CaseGenerator = (rng, i) => {
  const d = 2 * int(rng, 1, 3);
  const { hiddenChannels: _unused, ...options } = couplingOptions(rng);
  const config = clean({
    ...options,
    conditionerNorm: pick(rng, [undefined, undefined, 0.5, 1, 2]),
    memorySaving: rng.uniform() < 0.5,
  });
  const gain = pick(rng, [0, 0.3, 1, 3]);
  const wseed = seedOf(rng);
  return {
    type: 'ReversibleBlock',
    label: `#${i} input [${d}] ${JSON.stringify(config)} gain ${gain}`,
    make: () => {
      const layer = new ReversibleBlock(config as ConstructorParameters<typeof ReversibleBlock>[0]);
      layer.build([null, d]);
      if (gain > 0) randomizeWeights(layer, new SeededRandom(wseed), gain);
      return invertibleSubject(layer, [d], staticOf('ReversibleBlock', config));
    },
  };
};

/**
 * MAF steps on [d] vectors, every scale form: 'random' weights (s depends on x: no finite bound is claimed) or
 * 'scale-free' (the scale half of the last kernel zero, so s is constant and the finite formula applies).
 */
const maskedAutoregressive: CaseGenerator = (rng, i) => {
  const d = int(rng, 1, 6);
  const { hiddenChannels: _unused, ...options } = couplingOptions(rng);
  const scale = pick(rng, AFFINE_SCALES);
  const config = clean({
    ...options,
    scale,
    scaleBound: scale === 'bounded-tanh' ? pick(rng, [undefined, 1.5, 2, 5]) : undefined,
    scaleFloor: scale === 'sigmoid-floor' ? pick(rng, [undefined, 0.01, 0.05, 0.5]) : undefined,
    conditionerNorm: pick(rng, [undefined, undefined, 0.5, 2]),
  });
  const mode = pick(rng, ['random', 'scale-free', 'scale-free'] as const);
  const gain = pick(rng, [0.3, 1, 3]);
  const wseed = seedOf(rng);
  return {
    type: 'MaskedAutoregressive',
    label: `#${i} input [${d}] ${JSON.stringify(config)} ${mode} gain ${gain}`,
    make: () => {
      const layer = new MaskedAutoregressive(config as ConstructorParameters<typeof MaskedAutoregressive>[0]);
      layer.build([null, d]);
      randomizeWeights(layer, new SeededRandom(wseed), gain);
      if (mode === 'scale-free') {
        const last = layer.trainableWeights.filter((w) => /kernel/.test(w.name)).pop()!;
        tf.tidy(() => void last.write(tf.mul(last.read(), tf.concat([tf.zeros([d]), tf.ones([d])]))));
      }
      return invertibleSubject(layer, [d], staticOf('MaskedAutoregressive', config));
    },
  };
};

/**
 * Neural-ODE blocks on [d] vectors, both schemes, against the bounds from the weights and from the options: the
 * computed n-step maps (forward, and the backward integration as the inverse), or, with `exactInverse`, the exact
 * inverse of the computed forward map (1 / sigma_min of its Jacobian, at points the backward integration gives).
 */
function neuralOde(exactInverse: boolean): CaseGenerator {
  return (rng, i) => {
    const d = int(rng, 1, 5);
    const config = clean({
      hiddenUnits: int(rng, 2, 8),
      hiddenLayers: int(rng, 0, 2),
      activation: pick(rng, CONDITIONER_ACTIVATIONS),
      zeroInit: rng.uniform() < 0.1,
      seed: seedOf(rng),
      method: pick(rng, ['euler', 'rk4'] as const),
      steps: int(rng, 1, 8),
      time: pick(rng, [0.1, 0.5, 1, 2]),
      coeff: pick(rng, [0.3, 0.9, 1.5]),
    });
    const gain = pick(rng, [0.3, 1, 3, 10]);
    const wseed = seedOf(rng);
    return {
      type: exactInverse ? 'NeuralOde (exact inverse of the computed map)' : 'NeuralOde',
      label: `#${i} input [${d}] ${JSON.stringify(config)} gain ${gain}`,
      make: () => {
        const layer = new NeuralOde(config as ConstructorParameters<typeof NeuralOde>[0]);
        layer.build([null, d]);
        randomizeWeights(layer, new SeededRandom(wseed), gain);
        const subject = invertibleSubject(layer, [d], staticOf('NeuralOde', config));
        if (!exactInverse) return subject;
        const { inverse, ...rest } = subject;
        return { ...rest, iterativeInverse: inverse };
      },
    };
  };
}

function affineCoupling(scale: AffineScale): CaseGenerator {
  return (rng, i) => {
    const shape = couplingShape(rng);
    const config = clean({
      ...couplingOptions(rng),
      scale,
      scaleBound: scale === 'bounded-tanh' ? pick(rng, [undefined, 1.5, 2, 5]) : undefined,
      scaleFloor: scale === 'sigmoid-floor' ? pick(rng, [undefined, 0.01, 0.05, 0.5]) : undefined,
    });
    // 'random': every weight random; 'scale-free': the scale half of the last kernel zero, so s is a constant
    // (its bias) and the layer's finite formula applies.
    const mode = pick(rng, ['random', 'random', 'scale-free'] as const);
    const gain = pick(rng, [0.3, 1, 3]);
    const wseed = seedOf(rng);
    // Half the cases declare a box domain (and half of those constrain the conditioner, so the static calculus
    // has a finite domain bound too).
    const halfWidth = pick(rng, [undefined, 0.5, 1, 3]);
    if (halfWidth !== undefined && rng.uniform() < 0.5) config['conditionerNorm'] = pick(rng, [0.5, 1, 2]);
    return {
      type: `AffineCoupling ${scale}`,
      label: `#${i} input [${shape}] ${JSON.stringify(config)} ${mode} gain ${gain} domain ${halfWidth ?? 'none'}`,
      make: () => {
        const layer = new AffineCoupling(config as ConstructorParameters<typeof AffineCoupling>[0]);
        layer.build([null, ...shape]);
        randomizeWeights(layer, new SeededRandom(wseed), gain);
        if (mode === 'scale-free') {
          const last = layer.trainableWeights.filter((w) => /kernel/.test(w.name)).pop()!;
          tf.tidy(() => {
            const k = last.read();
            const cout = k.shape[k.rank - 1]!;
            const mask = tf.concat([tf.zeros([cout / 2]), tf.ones([cout / 2])]);
            last.write(tf.mul(k, mask));
          });
        }
        const subject = invertibleSubject(layer, shape, staticOf('AffineCoupling', config));
        if (halfWidth === undefined) return subject;
        const box = { kind: 'box' as const, lo: -halfWidth, hi: halfWidth };
        const ir = node('AffineCoupling', config);
        const { ir: file } = fileOf(
          { kind: 'block', id: nextId(), wiring: 'sequence', children: [ir], range: R },
          { inputDomain: box, inputShape: shape },
        );
        const statics = computeBounds(file).get(ir.id)?.onDomain;
        return {
          ...subject,
          domain: { halfWidth, runtime: layer.lipschitzBoundsOn(box), static: statics },
        };
      },
    };
  };
}

// ---- ActNorm ----

function actNorm(bounded: boolean): CaseGenerator {
  return (rng, i) => {
    const shape = rng.uniform() < 0.6 ? [int(rng, 1, 6)] : [int(rng, 1, 3), int(rng, 1, 3), int(rng, 1, 3)];
    const config = clean({
      scaleParam: bounded ? pick(rng, [undefined, 'log']) : pick(rng, [undefined, 'log', 'direct']),
      scaleBound: bounded ? pick(rng, [1.01, 1.5, 2, 5, 100]) : undefined,
    });
    // Initialised from data of a random spread, then (half the time) log-scales moved as training could.
    const spread = Math.exp(rng.normal() * 3);
    const perturb = rng.uniform() < 0.5;
    const wseed = seedOf(rng);
    return {
      type: bounded ? 'ActNorm scaleBound' : 'ActNorm',
      label: `#${i} input [${shape}] ${JSON.stringify(config)} data spread ${spread.toPrecision(3)}${perturb ? ' perturbed' : ''}`,
      make: () => {
        const layer = new ActNorm(config as ConstructorParameters<typeof ActNorm>[0]);
        const r = new SeededRandom(wseed);
        tf.tidy(() =>
          layer.initialize(tf.mul(tf.randomNormal([16, ...shape], 0, 1, 'float32', wseed % 1000), spread)),
        );
        if (perturb) {
          const s = layer.trainableWeights.find((w) => /scale/.test(w.name))!;
          const noise = Float32Array.from(r.normalArray(sizeOf(s)), (v) => v * 2);
          tf.tidy(() => void s.write(tf.add(s.read(), tf.tensor(noise, s.shape as number[]))));
        }
        return invertibleSubject(layer, shape, staticOf('ActNorm', config));
      },
    };
  };
}

// ---- LU-parameterised linear maps ----

function luLayer(conv: boolean): CaseGenerator {
  return (rng, i) => {
    const c = int(rng, 2, conv ? 4 : 8);
    const shape = conv ? [int(rng, 1, 3), int(rng, 1, 3), c] : [c];
    const gain = pick(rng, [0, 0.3, 1]);
    const seed = seedOf(rng);
    const wseed = seedOf(rng);
    const type = conv ? 'InvertibleConv1x1' : 'InvertibleLinear';
    return {
      type,
      label: `#${i} input [${shape}] seed ${seed} perturbation ${gain}`,
      make: () => {
        const layer = conv ? new InvertibleConv1x1({ seed }) : new InvertibleLinear({ seed });
        layer.build([null, ...shape]);
        const r = new SeededRandom(wseed);
        for (const w of layer.trainableWeights) {
          const noise = Float32Array.from(r.normalArray(sizeOf(w)), (v) => v * gain);
          tf.tidy(() => void w.write(tf.add(w.read(), tf.tensor(noise, w.shape as number[]))));
        }
        return invertibleSubject(layer, shape, staticOf(type, { seed }));
      },
    };
  };
}

// ---- rearrangements ----

const squeeze: CaseGenerator = (rng, i) => {
  const shape = [2 * int(rng, 1, 2), 2 * int(rng, 1, 2), int(rng, 1, 3)];
  return {
    type: 'Squeeze',
    label: `#${i} input [${shape}]`,
    make: () => {
      const layer = new Squeeze();
      const [h, w, c] = shape as [number, number, number];
      return invertibleSubject(layer, shape, staticOf('Squeeze', {}), [h / 2, w / 2, 4 * c]);
    },
  };
};

const permutation: CaseGenerator = (rng, i) => {
  const shape = rng.uniform() < 0.6 ? [int(rng, 2, 8)] : [int(rng, 1, 3), int(rng, 1, 3), int(rng, 2, 4)];
  const config = { mode: pick(rng, ['reverse', 'shuffle'] as const), seed: seedOf(rng) };
  return {
    type: 'Permutation',
    label: `#${i} input [${shape}] ${JSON.stringify(config)}`,
    make: () => {
      const layer = new Permutation(config);
      layer.build([null, ...shape]);
      return invertibleSubject(layer, shape, staticOf('Permutation', config));
    },
  };
};

// ---- multi-scale flow (steps of the passing kinds; affine couplings are judged on their own) ----

interface Step {
  layer: InvertibleLayer;
  node: LayerNode;
  /** Weights set after the flow's data-dependent initialisation. */
  perturb(): void;
}

const STEP_KINDS = ['ActNorm', 'InvertibleConv1x1', 'AdditiveCoupling', 'Permutation'] as const;

function flowStep(rng: SeededRandom, kinds: readonly (typeof STEP_KINDS)[number][] = STEP_KINDS): Step {
  const wseed = seedOf(rng);
  const kind = pick(rng, kinds);
  switch (kind) {
    case 'ActNorm': {
      const config = clean({ scaleBound: pick(rng, [undefined, 2]) });
      const layer = new ActNorm(config as ConstructorParameters<typeof ActNorm>[0]);
      return { layer, node: node(kind, config), perturb: () => undefined };
    }
    case 'InvertibleConv1x1': {
      const layer = new InvertibleConv1x1({ seed: wseed });
      return { layer, node: node(kind, { seed: wseed }), perturb: () => undefined };
    }
    case 'AdditiveCoupling': {
      const config = clean({
        hiddenChannels: int(rng, 2, 4),
        hiddenLayers: int(rng, 0, 1),
        zeroInit: false,
        seed: wseed,
      });
      const layer = new AdditiveCoupling(config as ConstructorParameters<typeof AdditiveCoupling>[0]);
      return {
        layer,
        node: node(kind, config),
        perturb: () => randomizeWeights(layer, new SeededRandom(wseed), 1),
      };
    }
    case 'Permutation': {
      const config = { mode: 'shuffle' as const, seed: wseed };
      return { layer: new Permutation(config), node: node(kind, config), perturb: () => undefined };
    }
  }
}

/**
 * MultiScaleFlow.unflatten by slices: tfjs's SplitV gradient fails on a split into a single part (one level),
 * as tf.split hands it one tensor, not a list, so the differentiated inverse slices instead.
 */
function unflatten(y: tf.Tensor, shapes: number[][]): tf.Tensor[] {
  let at = 0;
  return shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const part = tf.reshape(tf.slice(y, [0, at], [-1, n]), [y.shape[0]!, ...s]);
    at += n;
    return part;
  });
}

/**
 * Random flows of up to two levels; with `lateContraction`, two levels whose first only rotates and permutes
 * (isometries) and whose second holds an ActNorm initialised on data of spread 2 (scales near 1/2): the
 * latent factored out after level 0 is not contracted by it, a case products of step bounds get wrong.
 */
function multiScaleFlow(lateContraction: boolean): CaseGenerator {
  return (rng, i) => {
    const levels = lateContraction ? 2 : int(rng, 1, 2);
    const side = levels === 1 ? pick(rng, [2, 4]) : 4;
    const shape = [side, side, int(rng, 1, 2)];
    const steps = Array.from({ length: levels }, () => int(rng, 1, 3));
    const seed = seedOf(rng);
    return {
      type: lateContraction ? 'MultiScaleFlow (contracting after a split)' : 'MultiScaleFlow',
      label: `#${i} input [${shape}] steps per level [${steps}] seed ${seed}`,
      make: () => {
        const r = new SeededRandom(seed);
        const built = steps.map((n, level) => {
          if (!lateContraction) return Array.from({ length: n }, () => flowStep(r));
          if (level === 0)
            return Array.from({ length: n }, () => flowStep(r, ['InvertibleConv1x1', 'Permutation']));
          return [flowStep(r, ['ActNorm']), ...Array.from({ length: n - 1 }, () => flowStep(r))];
        });
        const flow = new MultiScaleFlow({
          levels: built.map((l) => l.map((s) => s.layer)),
          inputShape: shape,
        });
        tf.tidy(() =>
          flow.initialize(tf.mul(tf.randomNormal([16, ...shape], 0, 1, 'float32', seed % 1000), 2)),
        );
        for (const s of built.flat()) s.perturb();
        // As the extractor reads `new MultiScaleFlow({ levels })`: one sequence block per level.
        const ir = fileOf({
          kind: 'block',
          id: nextId(),
          wiring: 'multi-scale',
          children: built.map((level) => ({
            kind: 'block' as const,
            id: nextId(),
            wiring: 'sequence' as const,
            children: level.map((s) => s.node),
            range: R,
          })),
          range: R,
        });
        const d = shape.reduce((a, b) => a * b, 1);
        return {
          inputShape: shape,
          outputShape: [d],
          forward: (x) => flow.flatten(flow.forward(x).latents),
          inverse: (y) => flow.inverse(unflatten(y, flow.latentShapes())),
          runtime: flow.lipschitzBounds(),
          static: computeBounds(ir.ir).get(ir.model.id)!,
          dispose: () => disposeWeights(flow.steps),
        };
      },
    };
  };
}

/** Every layer type of the property test, by the name its figures are reported under. */
export const GENERATORS: readonly CaseGenerator[] = [
  spectralDense(false),
  spectralDense(true),
  spectralConv(false),
  spectralConv(true),
  invertibleResidual(false),
  invertibleResidual(true),
  additiveCoupling,
  ...AFFINE_SCALES.map(affineCoupling),
  actNorm(false),
  actNorm(true),
  luLayer(false),
  luLayer(true),
  squeeze,
  permutation,
  multiScaleFlow(false),
  multiScaleFlow(true),
  // New types go last: each generator's seed is SEED + its index, so appending keeps the others' cases.
  reversibleBlock,
  maskedAutoregressive,
  neuralOde(false),
  neuralOde(true),
];

/** `count` cases of each generator, from one seed (each generator has its own stream, so counts do not interact). */
export function casesOf(generator: CaseGenerator, count: number, seed: number): Case[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, (_, i) => generator(rng, i));
}
