/**
 * Every layer class against its specification (core/src/specs) on random configurations: the constructor throws
 * exactly the specification's first error; `lipschitzBounds()` equals the specification's bound from weights whose
 * inputs are measured here independently (float64 SVDs of the kernels or of the map applied to a basis, per-channel
 * scales read off the map); the static calculus on the equivalent IR LayerNode (the layer's getConfig()) equals
 * the specification's bound from the config.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Matrix, SVD } from 'ml-matrix';
import { layerBounds, type NodeBounds } from '../../src/bounds';
import type { ConfigValue, LayerNode } from '../../src/ir/model-ir';
import {
  ActNorm,
  AdditiveCoupling,
  AffineCoupling,
  InvertibleConv1x1,
  InvertibleLinear,
  InvertibleResidual,
  MaskedAutoregressive,
  NeuralOde,
  Permutation,
  ReversibleBlock,
  SpectralDense,
  Squeeze,
} from '../../src/layers';
import { ACTIVATION_LIPSCHITZ, type ConditionerActivation } from '../../src/layers/coupling-net';
import { getLipschitzActivation, LIPSCHITZ_ACTIVATIONS } from '../../src/layers/lipschitz-activations';
import { SeededRandom } from '../../src/layers/seeded-random';
import * as spec from '../../src/specs';

const CONFIGS = 50;
const rng = new SeededRandom(20261129);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
const between = (lo: number, hi: number): number => lo + (hi - lo) * rng.uniform();
const int = (lo: number, hi: number): number => Math.floor(between(lo, hi + 1));

/** The IR node the extractor makes for `new <type>(config)`. */
function irNode(layerType: string, config: tf.serialization.ConfigDict): LayerNode {
  const R = { file: '/m.ts', start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
  const clean = JSON.parse(JSON.stringify(config)) as { [key: string]: ConfigValue };
  return { kind: 'layer', id: layerType, layerType, origin: 'lipschitz-lens', config: clean, range: R };
}
const staticOf = (layerType: string, config: tf.serialization.ConfigDict): NodeBounds =>
  layerBounds(irNode(layerType, config), { customLayers: [] });

/** sigma_min and sigma_max of a float64 matrix (ml-matrix SVD). */
function sigmaRange(rows: number, cols: number, data: ArrayLike<number>): [number, number] {
  const m = new Matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.set(r, c, data[r * cols + c]!);
  const s = new SVD(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
  return [Math.min(...s), Math.max(...s)];
}

function closeRel(actual: number, expected: number, tol: number, what: string): void {
  if (actual === expected) return;
  assert.ok(Math.abs(actual - expected) <= tol * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}
function closePair(a: spec.WeightBounds, b: spec.WeightBounds, tol: number, what: string): void {
  closeRel(a.forward, b.forward, tol, `${what} forward`);
  closeRel(a.inverse, b.inverse, tol, `${what} inverse`);
}

/** Constructs, and checks that it throws exactly when the specification names an error, with its message. */
function construct<L>(name: string, error: string | undefined, make: () => L): L | undefined {
  if (error !== undefined) {
    assert.throws(make, { message: `${name}: ${error}` });
    return undefined;
  }
  return make();
}

/** Lipschitz bound of a dense conditioner's output columns [from, to): kernel norms times activation constants. */
function conditionerLipschitz(
  layer: tf.layers.Layer,
  act: ConditionerActivation,
  from: number,
  to: number,
  norm = Infinity,
): number {
  return chainLipschitz(
    layer.getWeights().filter((w) => w.rank === 2),
    act,
    from,
    to,
    norm,
  );
}

/** The same for an MLP given by its kernels (each applied as given, then rescaled to norm <= `norm`). */
function chainLipschitz(
  kernels: readonly tf.Tensor[],
  act: ConditionerActivation,
  from: number,
  to: number,
  norm = Infinity,
): number {
  let bound = 1;
  kernels.forEach((k, i) => {
    const [rows, cols] = k.shape as [number, number];
    const data = k.dataSync();
    const last = i + 1 === kernels.length;
    const [lo, hi] = last ? [from, to] : [0, cols];
    const sub = Float64Array.from({ length: rows * (hi - lo) }, (_, j) => {
      const r = Math.floor(j / (hi - lo));
      return data[r * cols + lo + (j % (hi - lo))]!;
    });
    // A constrained conditioner applies each kernel rescaled to norm <= c (the norm of the whole kernel decides).
    const scale = Math.min(1, norm / sigmaRange(rows, cols, data)[1]);
    bound *= sigmaRange(rows, hi - lo, sub)[1] * scale;
    if (!last) bound *= ACTIVATION_LIPSCHITZ[act];
  });
  return bound;
}

describe('layer specifications agree with the layers and the static calculus', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it(`AffineCoupling: ${CONFIGS}+ configurations`, () => {
    for (let i = 0; i < CONFIGS + 10; i++) {
      const name = `affine_${i}`;
      const options = {
        scale: pick([...spec.AFFINE_SCALES, 'tanh' as spec.AffineScale]),
        scaleBound: pick([between(0.5, 5), spec.AFFINE_COUPLING_DEFAULTS.scaleBound]),
        scaleFloor: pick([between(-0.2, 1.2), spec.AFFINE_COUPLING_DEFAULTS.scaleFloor]),
      };
      const activation = pick(Object.keys(ACTIVATION_LIPSCHITZ) as ConditionerActivation[]);
      const zeroInit = rng.uniform() < 0.5;
      const layer = construct(
        name,
        spec.affineCouplingErrors(options)[0],
        () => new AffineCoupling({ name, ...options, activation, zeroInit, hiddenUnits: int(1, 5), seed: i }),
      );
      if (layer === undefined) continue;
      const half = int(1, 3);
      tf.tidy(() => void layer.apply(tf.randomNormal([3, 2 * half])));
      const lipS = conditionerLipschitz(layer, activation, 0, half);
      const lipT = conditionerLipschitz(layer, activation, half, 2 * half);
      closePair(layer.lipschitzBounds(), spec.affineCouplingFromWeights(options, lipS, lipT), 1e-9, name);
      assert.deepEqual(layer.x2Gains(), spec.affineX2Gains(options));
      const b = staticOf('AffineCoupling', layer.getConfig());
      assert.deepEqual(b, spec.affineCouplingStatic(options), name);
      assert.equal(b.forward, 'unbounded');
      layer.dispose();
    }
  });

  it(`AdditiveCoupling: ${CONFIGS}+ configurations, conditioner options included`, () => {
    for (let i = 0; i < CONFIGS + 20; i++) {
      const name = `additive_${i}`;
      const options = {
        activation: pick([
          ...(Object.keys(spec.ACTIVATION_LIPSCHITZ) as spec.ConditionerActivation[]),
          'gelu',
        ]),
        hiddenUnits: pick([int(1, 5), int(1, 5), 0, 2.5]),
        hiddenChannels: pick([spec.COUPLING_NET_DEFAULTS.hiddenChannels, -1]),
        hiddenLayers: pick([int(0, 2), int(0, 2), -1]),
        zeroInit: rng.uniform() < 0.3,
        conditionerNorm: pick([undefined, undefined, between(0.2, 2), -1]),
      } as spec.CouplingNetOptions;
      const layer = construct(
        name,
        spec.couplingNetError(options),
        () =>
          new AdditiveCoupling({
            name,
            ...options,
            ...(options.conditionerNorm === undefined ? {} : { conditionerNorm: options.conditionerNorm }),
            seed: i,
          }),
      );
      if (layer === undefined) continue;
      const activation = options.activation;
      const half = int(1, 3);
      tf.tidy(() => void layer.apply(tf.randomNormal([3, 2 * half])));
      const norm = options.conditionerNorm;
      const lipT = conditionerLipschitz(layer, activation, 0, half, norm);
      // The layer divides by a certified norm inflated for float32 rounding (~1e-6), the reference by the SVD's.
      const tol = norm === undefined ? 1e-9 : 1e-5;
      closePair(layer.lipschitzBounds(), spec.additiveCouplingFromWeights(lipT), tol, `additive ${i}`);
      const b = staticOf('AdditiveCoupling', layer.getConfig());
      // Without @inputShape the static calculus takes the image bound (rank 4), which covers vectors too.
      const lip = spec.constrainedConditionerLipschitz(options, 4);
      if (lip === undefined) assert.deepEqual(b, spec.additiveCouplingStatic());
      else {
        assert.equal(b.forward, 1 + lip);
        assert.ok(
          layer.lipschitzBounds().forward <= (b.forward as number),
          `${name}: weights within the static bound`,
        );
      }
      layer.dispose();
    }
  });

  it(`ActNorm: ${CONFIGS}+ configurations, scales read off the map`, () => {
    for (let i = 0; i < CONFIGS + 20; i++) {
      const name = `actnorm_${i}`;
      const options = {
        epsilon: pick([1e-6, between(-1e-3, 1e-2)]),
        scaleParam: pick(['log', 'log', 'direct', 'logit'] as spec.ActNormScaleParam[]),
        scaleBound: pick([undefined, between(0.5, 6)]),
      };
      const layer = construct(name, spec.actNormError(options), () => new ActNorm({ name, ...options }));
      if (layer === undefined) continue;
      const c = int(1, 5);
      tf.tidy(() => void layer.apply(tf.randomNormal([2, c])));
      const [, bias, flag] = layer.getWeights();
      layer.setWeights([tf.tensor1d(Array.from({ length: c }, () => between(-3, 3) || 0.5)), bias!, flag!]);
      // The map is diagonal: its per-channel gains are (f(e_j) - f(0))_j.
      const gains = tf.tidy(() => {
        const out = layer.apply(tf.concat([tf.zeros([1, c]), tf.eye(c)])) as tf.Tensor2D;
        const d = tf.sub(out.slice([1, 0], [c, c]), out.slice([0, 0], [1, c]));
        return Array.from(tf.abs(d).max(0).dataSync());
      });
      const fromWeights = spec.actNormFromWeights(Array.from(layer.getWeights()[0]!.dataSync()), options);
      closePair(layer.lipschitzBounds(), fromWeights, 0, name);
      const measured = { forward: Math.max(...gains), inverse: 1 / Math.min(...gains) };
      closePair(fromWeights, measured, 1e-4, `${name} measured`);
      const b = staticOf('ActNorm', layer.getConfig());
      assert.deepEqual(b, spec.actNormStatic(options), name);
      if (typeof b.forward === 'number') {
        assert.ok(b.forward >= fromWeights.forward && (b.inverse as number) >= fromWeights.inverse, name);
      }
      layer.dispose();
    }
  });

  it(`InvertibleResidual: ${CONFIGS}+ configurations`, () => {
    for (let i = 0; i < CONFIGS + 20; i++) {
      const name = `ires_${i}`;
      const hiddenUnits = Array.from({ length: int(0, 2) }, () => int(rng.uniform() < 0.1 ? 0 : 1, 6));
      const options = {
        hiddenUnits,
        coeff: pick([between(0.05, 0.99), between(0.05, 0.99), 1.2, spec.INVERTIBLE_RESIDUAL_DEFAULTS.coeff]),
        activation: pick(LIPSCHITZ_ACTIVATIONS),
        inverseTolerance: pick([1e-6, 1e-4, -1]),
        maxInverseIterations: pick([100, 20, 0]),
        logDet: pick(['auto', 'exact', 'series'] as spec.LogDetMode[]),
        seriesTerms: 10,
        hutchinsonSamples: 1,
        probeDistribution: pick(['rademacher', 'gaussian'] as spec.ProbeDistribution[]),
      };
      const actLipschitz = (a: string): number => getLipschitzActivation(name, a).lipschitz;
      const layer = construct(
        name,
        spec.invertibleResidualError(options, actLipschitz),
        () => new InvertibleResidual({ name, ...options, seed: i }),
      );
      if (layer === undefined) continue;
      const d = int(1, 4);
      tf.tidy(() => void layer.apply(tf.randomNormal([2, d])));
      const act = actLipschitz(options.activation);
      closePair(
        layer.lipschitzBounds(),
        spec.invertibleResidualFromWeights(layer.kernelNorms(), act),
        1e-9,
        name,
      );
      const { lip, ...expected } = spec.invertibleResidualStatic({
        coeff: options.coeff,
        depth: hiddenUnits.length + 1,
        activationLipschitz: act,
      });
      assert.ok(lip < 1);
      assert.deepEqual(staticOf('InvertibleResidual', layer.getConfig()), expected, name);
      layer.dispose();
    }
  });

  for (const [label, make, shape] of [
    ['InvertibleLinear', (seed: number) => new InvertibleLinear({ seed }), (n: number) => [n, n]],
    ['InvertibleConv1x1', (seed: number) => new InvertibleConv1x1({ seed }), (n: number) => [n, 1, 1, n]],
  ] as const) {
    it(`${label}: ${CONFIGS} configurations, W applied to a basis`, () => {
      for (let i = 0; i < CONFIGS; i++) {
        const layer = make(i);
        const n = int(1, 6);
        tf.tidy(() => void layer.apply(tf.zeros(shape(n))));
        // Trained-looking factors: random lower, upper and log-scale entries.
        const w = layer.getWeights();
        const names = layer.weights.map((v) => v.originalName.split('/').pop());
        layer.setWeights(
          w.map((t, j) =>
            ['lower', 'upper', 'log_scale'].includes(names[j]!) ? tf.randomNormal(t.shape) : t,
          ),
        );
        const basis = tf.tidy(() =>
          Array.from((layer.apply(tf.eye(n).reshape(shape(n))) as tf.Tensor).dataSync()),
        );
        const measured = spec.invertibleLinearFromWeights(sigmaRange(n, n, basis));
        closePair(layer.lipschitzBounds(), measured, 1e-3, `${label} ${i}`);
        assert.deepEqual(staticOf(label, layer.getConfig()), spec.invertibleLinearStatic(label));
        layer.dispose();
      }
    });
  }

  it(`Permutation: ${CONFIGS}+ configurations, an isometry`, () => {
    for (let i = 0; i < CONFIGS + 10; i++) {
      const name = `perm_${i}`;
      const n = int(1, 6);
      const mode = pick(['reverse', 'shuffle', 'shuffle', 'rotate'] as spec.PermutationMode[]);
      const given = rng.uniform() < 0.4 ? rng.permutation(n) : undefined;
      if (given && rng.uniform() < 0.3) given[0] = n;
      const inv = given && spec.invertPermutation(given);
      const error = spec.permutationModeError(mode) ?? (inv && 'error' in inv ? inv.error : undefined);
      const layer = construct(
        name,
        error,
        () => new Permutation({ name, mode, seed: i, permutation: given ?? null }),
      );
      if (layer === undefined) continue;
      const ratio = tf.tidy(() => {
        const x = tf.randomNormal([4, n]);
        return tf.norm(layer.apply(x) as tf.Tensor).dataSync()[0]! / tf.norm(x).dataSync()[0]!;
      });
      closeRel(ratio, 1, 1e-6, name);
      assert.deepEqual(layer.lipschitzBounds(), spec.permutationFromWeights());
      assert.deepEqual(staticOf('Permutation', layer.getConfig()), spec.permutationStatic());
    }
  });

  it(`Squeeze: ${CONFIGS} shapes, an isometry`, () => {
    for (let i = 0; i < CONFIGS; i++) {
      const layer = new Squeeze();
      const ratio = tf.tidy(() => {
        const x = tf.randomNormal([2, 2 * int(1, 3), 2 * int(1, 3), int(1, 3)]);
        return tf.norm(layer.apply(x) as tf.Tensor).dataSync()[0]! / tf.norm(x).dataSync()[0]!;
      });
      closeRel(ratio, 1, 1e-6, `squeeze ${i}`);
      assert.deepEqual(layer.lipschitzBounds(), spec.squeezeFromWeights());
      assert.deepEqual(staticOf('Squeeze', layer.getConfig()), spec.squeezeStatic());
    }
  });

  it(`SpectralDense: ${CONFIGS} coefficients, default as the layer's, forward <= c`, () => {
    assert.equal(new SpectralDense({ units: 2 }).coeff, spec.SPECTRAL_DEFAULTS.coeff);
    for (let i = 0; i < CONFIGS; i++) {
      const coeff = rng.uniform() < 0.2 ? undefined : between(0.1, 3);
      const config = { units: int(1, 8), ...(coeff === undefined ? {} : { coeff }) };
      const b = staticOf('SpectralDense', config);
      assert.deepEqual(
        b,
        spec.spectralStatic(coeff ?? spec.SPECTRAL_DEFAULTS.coeff, coeff !== undefined, 'SpectralDense'),
      );
      assert.equal(b.forward, coeff ?? new SpectralDense({ units: 2 }).coeff);
    }
  });
  // Issue 13, item 2: the new blocks.
  // Mostly accepted options, so most configurations reach the bounds; one in ten per option is rejected.
  const often = <T>(good: T, bad: T): T => (rng.uniform() < 0.9 ? good : bad);
  const conditionerOptions = () => ({
    activation: often(pick(Object.keys(spec.ACTIVATION_LIPSCHITZ) as spec.ConditionerActivation[]), 'gelu'),
    hiddenUnits: often(int(1, 5), 0),
    hiddenLayers: often(int(0, 2), -1),
  });
  /** Counts the configurations each test built (not rejected), to hold them to a minimum. */
  const built = new Map<string, number>();
  const count = (what: string): void => void built.set(what, (built.get(what) ?? 0) + 1);

  it(`ReversibleBlock: ${CONFIGS}+ configurations, F and G measured apart`, () => {
    for (let i = 0; i < CONFIGS + 20; i++) {
      const name = `reversible_${i}`;
      const options = {
        ...conditionerOptions(),
        conditionerNorm: often(pick([undefined, between(0.2, 2)]), -1),
      };
      const error = spec.couplingNetError({ ...spec.COUPLING_NET_DEFAULTS, ...options });
      const layer = construct(
        name,
        error,
        () =>
          new ReversibleBlock({
            name,
            ...options,
            activation: options.activation as spec.ConditionerActivation,
            ...(options.conditionerNorm === undefined ? {} : { conditionerNorm: options.conditionerNorm }),
            zeroInit: false,
            seed: i,
          }),
      );
      if (layer === undefined) continue;
      count('ReversibleBlock');
      const half = int(1, 3);
      tf.tidy(() => void layer.apply(tf.randomNormal([3, 2 * half])));
      // Weights: F's kernel_0, bias_0, ... then G's.
      const kernels = layer.getWeights().filter((w) => w.rank === 2);
      const n = kernels.length / 2;
      const act = options.activation as spec.ConditionerActivation;
      const norm = options.conditionerNorm;
      const lipF = chainLipschitz(kernels.slice(0, n), act, 0, half, norm);
      const lipG = chainLipschitz(kernels.slice(n), act, 0, half, norm);
      const tol = norm === undefined ? 1e-9 : 1e-5;
      closePair(layer.lipschitzBounds(), spec.reversibleBlockFromWeights(lipF, lipG), tol, name);
      const b = staticOf('ReversibleBlock', layer.getConfig());
      const lip = spec.constrainedConditionerLipschitz({ ...options, activation: act }, 2);
      if (lip === undefined) assert.deepEqual(b, spec.reversibleBlockStatic(), name);
      else {
        assert.equal(b.forward, spec.reversibleBlockLipschitz(lip, lip), name);
        assert.ok(
          layer.lipschitzBounds().forward <= (b.forward as number),
          `${name}: weights within the static`,
        );
      }
      layer.dispose();
    }
  });

  it(`MaskedAutoregressive: ${CONFIGS}+ configurations, masked kernels measured`, () => {
    for (let i = 0; i < CONFIGS + 20; i++) {
      const name = `maf_${i}`;
      const scaleOptions = {
        scale: often(pick(spec.AFFINE_SCALES), 'tanh' as spec.AffineScale),
        scaleBound: often(between(1.01, 5), between(0.5, 1)),
        scaleFloor: often(between(0.01, 0.99), pick([-0.1, 1.1])),
      };
      const options = { ...conditionerOptions(), zeroInit: rng.uniform() < 0.5 };
      const act = options.activation as spec.ConditionerActivation;
      const error =
        spec.affineCouplingErrors(scaleOptions)[0] ??
        spec.couplingNetError({ ...spec.COUPLING_NET_DEFAULTS, ...options });
      const layer = construct(
        name,
        error,
        () => new MaskedAutoregressive({ name, ...scaleOptions, ...options, activation: act, seed: i }),
      );
      if (layer === undefined) continue;
      count('MaskedAutoregressive');
      const d = int(1, 4);
      tf.tidy(() => void layer.apply(tf.randomNormal([3, d])));
      const masks = spec.madeMasks(d, options.hiddenUnits, options.hiddenLayers);
      const masked = layer
        .getWeights()
        .filter((w) => w.rank === 2)
        .map((k, j) => tf.mul(k, tf.tensor(masks[j]!, k.shape)));
      const lipS = chainLipschitz(masked, act, 0, d);
      const lipT = chainLipschitz(masked, act, d, 2 * d);
      closePair(
        layer.lipschitzBounds(),
        spec.maskedAutoregressiveFromWeights(scaleOptions, lipS, lipT, d),
        1e-9,
        name,
      );
      if (options.zeroInit)
        assert.ok(Number.isFinite(layer.lipschitzBounds().forward) || scaleOptions.scale === 'exp');
      assert.deepEqual(
        staticOf('MaskedAutoregressive', layer.getConfig()),
        spec.maskedAutoregressiveStatic(scaleOptions),
      );
      tf.dispose(masked);
      layer.dispose();
    }
  });

  it(`NeuralOde: ${CONFIGS}+ configurations, the field measured`, () => {
    for (let i = 0; i < CONFIGS + 20; i++) {
      const name = `ode_${i}`;
      const odeOptions = {
        method: often(pick(spec.ODE_METHODS), 'midpoint' as spec.OdeMethod),
        steps: often(int(1, 6), pick([0, 1.5])),
        time: often(between(0.1, 2), -1),
        coeff: often(between(0.2, 2), 0),
      };
      const options = conditionerOptions();
      const act = options.activation as spec.ConditionerActivation;
      const error =
        spec.neuralOdeError(odeOptions) ??
        spec.couplingNetError({ ...spec.COUPLING_NET_DEFAULTS, ...options });
      const layer = construct(
        name,
        error,
        () => new NeuralOde({ name, ...odeOptions, ...options, activation: act, zeroInit: false, seed: i }),
      );
      if (layer === undefined) continue;
      count('NeuralOde');
      const d = int(1, 4);
      tf.tidy(() => void layer.apply(tf.randomNormal([3, d])));
      const kernels = layer.getWeights().filter((w) => w.rank === 2);
      const lip = chainLipschitz(kernels, act, 0, d, odeOptions.coeff);
      // The layer divides by a certified norm inflated for float32 rounding (~1e-6), the reference by the SVD's, and
      // the inverse (2 - P(z))^-n magnifies that near P(z) = 2: the layer's figures lie between the formula's at
      // Lip(f) (1 -+ 1e-5), both increasing in Lip(f).
      const [lo, hi] = [1 - 1e-5, 1 + 1e-5].map((r) => spec.neuralOdeFromWeights(odeOptions, lip * r));
      const got = layer.lipschitzBounds();
      for (const k of ['forward', 'inverse'] as const)
        assert.ok(
          got[k] >= lo![k] && got[k] <= hi![k],
          `${name} ${k}: ${got[k]} not in [${lo![k]}, ${hi![k]}]`,
        );
      const b = staticOf('NeuralOde', layer.getConfig());
      assert.deepEqual(
        b,
        spec.neuralOdeStatic({ ...odeOptions, hiddenLayers: options.hiddenLayers, activation: act }),
      );
      assert.ok(
        layer.lipschitzBounds().forward <= (b.forward as number) * (1 + 1e-12),
        `${name}: within the static`,
      );
      const flow = spec.constrainedConditionerLipschitz(
        { ...options, activation: act, conditionerNorm: odeOptions.coeff },
        2,
      )!;
      assert.ok(
        (b.forward as number) <= Math.exp(flow * odeOptions.time) * (1 + 1e-12),
        `${name}: <= e^{LT}`,
      );
      layer.dispose();
    }
  });
  it('the new blocks were built in at least half their configurations', () => {
    for (const type of ['ReversibleBlock', 'MaskedAutoregressive', 'NeuralOde'])
      assert.ok((built.get(type) ?? 0) >= CONFIGS / 2, `${type}: ${built.get(type)} built`);
  });
});
