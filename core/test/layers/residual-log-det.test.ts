/**
 * Issue 13, item 1: the i-ResNet log-det in both modes, checked against independent float64 references on wasm.
 * The reference net is the layer's own weights (set with spectral norm 0.7 < c, so normalisation leaves them as
 * they are) evaluated in float64 in plain JS: J by central differences, log det by ml-matrix's LU.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectBackend } from '../../src/backend/select-backend';
import { InvertibleResidual, type InvertibleResidualArgs } from '../../src/layers/invertible-residual';
import {
  LEAKY_RELU_ALPHA,
  LIPSCHITZ_ACTIVATIONS,
  LIPSWISH_SCALE,
  type LipschitzActivation,
  getLipschitzActivation,
} from '../../src/layers/lipschitz-activations';
import { seriesVarianceBound } from '../../src/layers/residual-log-det';
import { SeededRandom } from '../../src/layers/seeded-random';
import { largestSingularValue, logAbsDet } from '../helpers/linalg';

before(async () => {
  const choice = await selectBackend({ prefer: 'wasm' });
  assert.equal(choice.kind, 'wasm', choice.notes.join('; '));
});

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The activations in float64, written from their definitions, with first and second derivatives. */
const ACT64: Record<LipschitzActivation, { f: (x: number) => number; d2: (x: number) => number }> = {
  linear: { f: (x) => x, d2: () => 0 },
  relu: { f: (x) => Math.max(0, x), d2: () => 0 },
  leakyRelu: { f: (x) => (x > 0 ? x : LEAKY_RELU_ALPHA * x), d2: () => 0 },
  elu: { f: (x) => (x > 0 ? x : Math.expm1(x)), d2: (x) => (x > 0 ? 0 : Math.exp(x)) },
  tanh: { f: Math.tanh, d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2) },
  lipswish: {
    f: (x) => (x * sigmoid(x)) / LIPSWISH_SCALE,
    d2: (x) => {
      const s = sigmoid(x);
      const ds = s * (1 - s);
      return (2 * ds + x * ds * (1 - 2 * s)) / LIPSWISH_SCALE;
    },
  },
  sigmoid: {
    f: sigmoid,
    d2: (x) => {
      const s = sigmoid(x);
      return s * (1 - s) * (1 - 2 * s);
    },
  },
};

/** g's weights in float64: kernels [in][out] (x -> x W), biases. */
interface Net64 {
  kernels: number[][][];
  biases: number[][];
  act: (x: number) => number;
}

function g64(net: Net64, x: readonly number[]): number[] {
  let h = [...x];
  net.kernels.forEach((k, i) => {
    const out = k[0]!.map((_, j) => h.reduce((s, hv, r) => s + hv * k[r]![j]!, net.biases[i]![j]!));
    h = i + 1 < net.kernels.length ? out.map(net.act) : out;
  });
  return h;
}

/** log det(I + J_g(x)) in float64, J by central differences (step 1e-5: error ~1e-10 on these smooth nets). */
function logDet64(net: Net64, x: readonly number[]): number {
  const d = x.length;
  const h = 1e-5;
  const a = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  for (let j = 0; j < d; j++) {
    const up = [...x];
    const down = [...x];
    up[j]! += h;
    down[j]! -= h;
    const gu = g64(net, up);
    const gd = g64(net, down);
    for (let i = 0; i < d; i++) a[i]![j]! += (gu[i]! - gd[i]!) / (2 * h);
  }
  return logAbsDet(a);
}

/**
 * A built layer whose kernels have spectral norm `norm` (float32 entries; below c = 0.9, so normalisation keeps
 * them) and biases in [-0.5, 0.5], and the same net in float64. `tied` (one hidden layer): W_2 = W_1^T.
 */
function layerWithNet(
  args: InvertibleResidualArgs,
  d: number,
  seed: number,
  norm = 0.7,
  tied = false,
): [InvertibleResidual, Net64] {
  const layer = new InvertibleResidual({ coeff: 0.9, seed, ...args });
  layer.build([null, d]);
  const rng = new SeededRandom(seed);
  const widths = [d, ...args.hiddenUnits, d];
  const kernels: number[][][] = [];
  const biases: number[][] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const raw = Array.from({ length: widths[i]! }, () =>
      Array.from({ length: widths[i + 1]! }, () => rng.normal()),
    );
    const scale = norm / largestSingularValue(raw);
    const kernel = raw.map((row) => row.map((v) => Math.fround(v * scale)));
    // Tied: W_2 = W_1^T, so J_g^T = W_1 D W_1^T is positive semi-definite and log det is far from tr J_g.
    kernels.push(tied && i === 1 ? kernels[0]![0]!.map((_, c) => kernels[0]!.map((row) => row[c]!)) : kernel);
    biases.push(Array.from({ length: widths[i + 1]! }, () => Math.fround(rng.uniform() - 0.5)));
  }
  // By name: getWeights() lists the trainable weights first.
  layer.setWeights(
    layer.weights.map((w) => {
      const [kind, index] = w.name.split('/').pop()!.split('_') as [string, string];
      const l = Number(index);
      if (kind === 'kernel') return tf.tensor2d(kernels[l]!);
      if (kind === 'bias') return tf.tensor1d(biases[l]!);
      return w.read();
    }),
  );
  const act = ACT64[args.activation ?? 'elu'].f;
  return [layer, { kernels, biases, act }];
}

function points(rng: SeededRandom, batch: number, d: number): number[][] {
  return Array.from({ length: batch }, () => Array.from({ length: d }, () => 1.5 * rng.normal()));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('activation derivatives are differentiable with first-order gradients on wasm', () => {
  // Away from the kinks of relu and leaky ReLU.
  const xs = [-2.5, -0.7, -0.1, 0.3, 1.2, 3];
  for (const name of LIPSCHITZ_ACTIVATIONS) {
    it(`${name}: derivative matches float64 f', its gradient matches f''`, () => {
      const act = getLipschitzActivation('test', name);
      const x = tf.tensor1d(xs);
      const slope = act.derivative(x).dataSync();
      const curvature = tf
        .grad((z: tf.Tensor) => tf.sum(act.derivative(z)))(x)
        .dataSync();
      const h = 1e-6;
      const f = ACT64[name].f;
      xs.forEach((v, i) => {
        assert.ok(
          Math.abs(slope[i]! - (f(v + h) - f(v - h)) / (2 * h)) < 1e-5,
          `${name}'(${v}) = ${slope[i]}`,
        );
        assert.ok(Math.abs(curvature[i]! - ACT64[name].d2(v)) < 1e-5, `${name}''(${v}) = ${curvature[i]}`);
      });
      tf.dispose(x);
    });
  }
});

describe('InvertibleResidual exact log-det', () => {
  it('matches a float64 log det of the central-difference Jacobian, every activation, d = 2..16', () => {
    const rng = new SeededRandom(11);
    let worst = 0;
    for (const activation of LIPSCHITZ_ACTIVATIONS) {
      for (const d of [2, 5, 16]) {
        const [layer, net] = layerWithNet({ hiddenUnits: [d + 3, 7], activation, logDet: 'exact' }, d, 3 + d);
        const x = points(rng, 4, d);
        // The float64 net is the layer's (normalisation left the kernels as set).
        const y = tf.tidy(() => (layer.apply(tf.tensor2d(x)) as tf.Tensor).dataSync());
        const y64 = x.flatMap((row) => g64(net, row).map((g, i) => g + row[i]!));
        assert.ok(
          maxAbsDiff(y, y64) < 1e-5,
          `${activation} d=${d}: layer output differs from the float64 net`,
        );
        const got = tf.tidy(() => layer.logDetJacobian(tf.tensor2d(x)).dataSync());
        const want = x.map((row) => logDet64(net, row));
        const err = maxAbsDiff(got, want);
        worst = Math.max(worst, err);
        assert.ok(err < 1e-4, `${activation} d=${d}: |exact - float64| = ${err}`);
      }
    }
    console.log(`exact log-det vs float64 reference: max |error| ${worst.toExponential(2)}`);
  });

  it('its gradient in x and in every weight matches central differences of the float64 value', () => {
    let worst = 0;
    for (const activation of LIPSCHITZ_ACTIVATIONS) {
      const d = 4;
      const [layer, net] = layerWithNet({ hiddenUnits: [6], activation, logDet: 'exact' }, d, 21);
      const x = [[0.9, -0.4, 1.3, 0.2]];
      // The differences below must not cross relu's kink: the first pre-activations stay away from 0.
      const pre = net.kernels[0]![0]!.map((_, j) =>
        x[0]!.reduce((s, v, r) => s + v * net.kernels[0]![r]![j]!, net.biases[0]![j]!),
      );
      assert.ok(Math.min(...pre.map(Math.abs)) > 1e-3, `pre-activations ${pre}`);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(layer.logDetJacobian(tf.tensor2d(x))) as tf.Scalar,
        vars,
      );
      const gx = tf
        .grad((z: tf.Tensor) => tf.sum(layer.logDetJacobian(z)))(tf.tensor2d(x))
        .dataSync();
      const h = 1e-5;
      const diff = (perturb: (sign: number) => Net64 | number[][]): number => {
        const at = (sign: number): number => {
          const p = perturb(sign);
          return Array.isArray(p) ? logDet64(net, p[0]!) : logDet64(p, x[0]!);
        };
        return (at(1) - at(-1)) / (2 * h);
      };
      const errors: number[] = [];
      for (let j = 0; j < d; j++) {
        const fd = diff((sign) => [x[0]!.map((v, i) => (i === j ? v + sign * h : v))]);
        errors.push(Math.abs(gx[j]! - fd));
      }
      net.kernels.forEach((k, l) => {
        const gk = grads[vars[2 * l]!.name]!.dataSync();
        // The last bias does not enter J_g: no gradient at all (central differences give 0 too).
        const gb = grads[vars[2 * l + 1]!.name]?.dataSync() ?? new Float32Array(net.biases[l]!.length);
        k.forEach((row, r) =>
          row.forEach((_, c) => {
            const fd = diff((sign) => ({
              ...net,
              kernels: net.kernels.map((kk, ll) =>
                ll !== l ? kk : kk.map((rr, i) => rr.map((v, j) => (i === r && j === c ? v + sign * h : v))),
              ),
            }));
            errors.push(Math.abs(gk[r * row.length + c]! - fd));
          }),
        );
        net.biases[l]!.forEach((_, c) => {
          const fd = diff((sign) => ({
            ...net,
            biases: net.biases.map((bb, ll) =>
              ll !== l ? bb : bb.map((v, j) => (j === c ? v + sign * h : v)),
            ),
          }));
          errors.push(Math.abs(gb[c]! - fd));
        });
      });
      const err = Math.max(...errors);
      worst = Math.max(worst, err);
      assert.ok(err < 2e-4, `${activation}: max |autodiff - central difference| = ${err}`);
      tf.dispose([value, ...Object.values(grads)]);
    }
    console.log(
      `exact log-det gradient vs float64 central differences: max |error| ${worst.toExponential(2)}`,
    );
  });
});

/** Per-example mean and standard error over repeated calls of f (each returning one number per example). */
function meanAndError(runs: Float32Array[]): { mean: number[]; se: number[] } {
  const n = runs.length;
  const mean = Array.from(runs[0]!, (_, i) => runs.reduce((s, r) => s + r[i]!, 0) / n);
  const se = mean.map((m, i) => Math.sqrt(runs.reduce((s, r) => s + (r[i]! - m) ** 2, 0) / (n - 1) / n));
  return { mean, se };
}

describe('InvertibleResidual series log-det (Russian roulette, Neumann gradient)', () => {
  // m = 1 exact term: the truncated series would be tr(J) alone, far from log det; L = 0.9^2 = 0.81.
  const args: InvertibleResidualArgs = {
    hiddenUnits: [8],
    activation: 'elu',
    logDet: 'series',
    seriesTerms: 1,
    hutchinsonSamples: 64,
  };
  const d = 6;
  const runs = 40;

  it('is unbiased: the mean of repeated estimates is the float64 log det within 4.5 standard errors', () => {
    const [layer, net] = layerWithNet(args, d, 5, 0.88, true);
    const x = points(new SeededRandom(8), 3, d);
    const estimates = Array.from({ length: runs }, () =>
      tf.tidy(() => layer.logDetJacobian(tf.tensor2d(x)).dataSync() as Float32Array),
    );
    const { mean, se } = meanAndError(estimates);
    const want = x.map((row) => logDet64(net, row));
    // What truncation after m = 1 term estimates: tr(J_g).
    const trace = x.map((row) => {
      const base = g64(net, row);
      return row.reduce((s, _, j) => {
        const up = [...row];
        up[j]! += 1e-5;
        return s + (g64(net, up)[j]! - base[j]!) / 1e-5;
      }, 0);
    });
    console.log(
      `series (m=1, 64 probes) over ${runs} runs: mean - exact ${mean.map((m, b) => (m - want[b]!).toExponential(1)).join(', ')}; se ${se.map((s) => s.toExponential(1)).join(', ')}; tr(J) - exact ${trace.map((t, b) => (t - want[b]!).toFixed(2)).join(', ')}`,
    );
    mean.forEach((m, b) => {
      assert.ok(Math.abs(m - want[b]!) < 4.5 * se[b]!, `example ${b}: mean ${m} vs ${want[b]} (se ${se[b]})`);
      // The test can tell a biased estimator: the truncated one is many standard errors off.
      assert.ok(Math.abs(trace[b]! - want[b]!) > 8 * se[b]!, `example ${b}: tr(J) too close to log det`);
    });
  });

  it('its variance: measured across runs, as reported, and below the proven bound', () => {
    const [layer] = layerWithNet(args, d, 5, 0.88, true);
    const x = points(new SeededRandom(9), 3, d);
    const reported: number[] = [];
    const estimates = Array.from({ length: runs }, () => {
      const out = tf.tidy(() => layer.logDetJacobian(tf.tensor2d(x)).dataSync() as Float32Array);
      const report = layer.lastLogDetReport();
      assert.equal(report.mode, 'series');
      if (report.mode === 'series') reported.push(report.sampleVariance!);
      return out;
    });
    const { se } = meanAndError(estimates);
    const measured = se.reduce((s, e) => s + e * e * runs, 0) / se.length;
    const meanReported = reported.reduce((a, b) => a + b, 0) / reported.length;
    const report = layer.lastLogDetReport();
    assert.ok(report.mode === 'series');
    assert.equal(report.samples, 64);
    assert.ok(report.lipschitz <= 0.81 + 1e-9, `certified L ${report.lipschitz}`);
    assert.equal(
      report.varianceBound,
      seriesVarianceBound({
        dim: d,
        lipschitz: report.lipschitz,
        schedule: { exactTerms: 1, continueProbability: report.continueProbability },
        samples: 64,
      }),
    );
    // Run-to-run variance and the per-call sample variance estimate the same quantity.
    assert.ok(measured < 2 * meanReported && meanReported < 2 * measured, `${measured} vs ${meanReported}`);
    assert.ok(measured < report.varianceBound, `${measured} vs bound ${report.varianceBound}`);
    console.log(
      `series variance (64 probes): across runs ${measured.toExponential(2)}, reported ${meanReported.toExponential(2)}, proven bound ${report.varianceBound.toExponential(2)}; E[K] ${report.expectedTerms.toFixed(2)}`,
    );
  });

  it('its gradient is unbiased: the mean over runs is the exact mode gradient within 4.5 standard errors', () => {
    const [layer] = layerWithNet(args, d, 5, 0.88, true);
    const [exact] = layerWithNet({ ...args, logDet: 'exact' }, d, 5, 0.88, true);
    const x = tf.tensor2d(points(new SeededRandom(10), 3, d));
    const gradient = (l: InvertibleResidual): Float32Array =>
      tf.tidy(() => {
        const vars = l.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => tf.sum(l.logDetJacobian(x)) as tf.Scalar, vars);
        const gx = tf.grad((z: tf.Tensor) => tf.sum(l.logDetJacobian(z)))(x);
        return tf
          .concat([gx.reshape([-1]), ...vars.map((v) => grads[v.name]?.reshape([-1]) ?? tf.zeros([v.size]))])
          .dataSync() as Float32Array;
      });
    const want = gradient(exact);
    const { mean, se } = meanAndError(Array.from({ length: runs }, () => gradient(layer)));
    const z = mean.map((m, i) => Math.abs(m - want[i]!) / (se[i]! + 1e-6));
    assert.ok(Math.max(...z) < 4.5, `worst |mean - exact| / se = ${Math.max(...z)} over ${z.length} entries`);
    console.log(
      `series gradient over ${runs} runs: ${want.length} entries, worst |mean - exact| / se ${Math.max(...z).toFixed(2)}, median se ${[...se].sort((a, b) => a - b)[se.length >> 1]!.toExponential(1)}`,
    );
    x.dispose();
  });

  it("'auto' is exact up to d = 16 and the series beyond", () => {
    const small = new InvertibleResidual({ hiddenUnits: [4], seed: 1 });
    small.build([null, 16]);
    tf.dispose(small.logDetJacobian(tf.zeros([2, 16])));
    assert.equal(small.lastLogDetReport().mode, 'exact');
    const large = new InvertibleResidual({ hiddenUnits: [4], seed: 1 });
    large.build([null, 17]);
    tf.dispose(large.logDetJacobian(tf.zeros([2, 17])));
    assert.equal(large.lastLogDetReport().mode, 'series');
  });
});
