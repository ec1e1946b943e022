/**
 * Affine couplings on a declared input domain: lipschitzBoundsOn(domain) against the measured constants inside
 * it (float32 autodiff Jacobians of the forward and of the inverse map, float64 SVD, at random points, at the
 * domain's corners where |x2| is largest, and difference quotients between pairs of them). The layers have
 * trained-looking weights (no zero init), so the scale depends on x1 and the global bound is Infinity.
 */
import * as tf from '@tensorflow/tfjs';
import { Matrix, SVD } from 'ml-matrix';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AffineCoupling, type AffineScale } from '../../src/layers';
import { type InputDomain } from '../../src/specs/input-domain';
import { jacobianAt, singularRange } from '../properties/measure';

before(async () => {
  await tf.setBackend('cpu');
});

/** A deterministic stream in [0, 1). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Points of the domain: random inside, and corners (every coordinate at lo or hi; on a ball, sign vectors). */
function pointsIn(domain: InputDomain, d: number, count: number, rnd: () => number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const corner = i % 2 === 1;
    if (domain.kind === 'box') {
      out.push(
        Array.from({ length: d }, () =>
          corner ? (rnd() < 0.5 ? domain.lo : domain.hi) : domain.lo + (domain.hi - domain.lo) * rnd(),
        ),
      );
    } else {
      const v = Array.from({ length: d }, () => (corner ? (rnd() < 0.5 ? -1 : 1) : rnd() * 2 - 1));
      const n = Math.hypot(...v);
      const r = corner ? domain.radius : domain.radius * rnd();
      out.push(v.map((x) => (x / n) * r));
    }
  }
  return out;
}

interface Measured {
  forward: number;
  inverse: number;
}

function measure(layer: AffineCoupling, points: number[][]): Measured {
  const f = (x: tf.Tensor): tf.Tensor => layer.apply(x) as tf.Tensor;
  const g = (y: tf.Tensor): tf.Tensor => layer.inverse(y);
  let forward = 0;
  let inverse = 0;
  const images: number[][] = [];
  for (const p of points) {
    const x = tf.tensor2d([p]);
    const y = f(x);
    forward = Math.max(forward, singularRange(jacobianAt(f, x)).max);
    inverse = Math.max(inverse, singularRange(jacobianAt(g, y)).max);
    images.push((y.arraySync() as number[][])[0]!);
    tf.dispose([x, y]);
  }
  // Difference quotients between pairs: the constant on the domain, not only at points.
  const dist = (a: number[], b: number[]): number => Math.hypot(...a.map((v, i) => v - b[i]!));
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++) {
      const dx = dist(points[i]!, points[j]!);
      const dy = dist(images[i]!, images[j]!);
      if (dx > 1e-3 && dy > 1e-3) {
        forward = Math.max(forward, dy / dx);
        inverse = Math.max(inverse, dx / dy);
      }
    }
  return { forward, inverse };
}

const SCALES: AffineScale[] = ['bounded-tanh', 'sigmoid-floor', 'sigmoid', 'exp'];
const DOMAINS: InputDomain[] = [
  { kind: 'box', lo: -2, hi: 2 },
  { kind: 'box', lo: 0, hi: 1 },
  { kind: 'ball', radius: 4 },
];

describe('AffineCoupling.lipschitzBoundsOn', () => {
  it('holds at every measured point and pair inside the domain, for every scale form', () => {
    const rnd = stream(7);
    const ratios: string[] = [];
    let checked = 0;
    for (const scale of SCALES)
      for (const conditionerNorm of [undefined, 0.8])
        for (const domain of DOMAINS) {
          const d = 2 * (1 + Math.floor(rnd() * 3));
          const layer = new AffineCoupling({
            scale,
            hiddenUnits: 8,
            hiddenLayers: 1,
            zeroInit: false,
            seed: Math.floor(rnd() * 1e6),
            ...(conditionerNorm !== undefined ? { conditionerNorm } : {}),
          });
          layer.apply(tf.zeros([1, d]));
          assert.equal(layer.lipschitzBounds().forward, Infinity, 'no global bound: the scale depends on x1');
          const bound = layer.lipschitzBoundsOn(domain);
          assert.ok(Number.isFinite(bound.forward) && Number.isFinite(bound.inverse), `${scale}: finite`);
          const m = measure(layer, pointsIn(domain, d, 16, rnd));
          const label = `${scale} norm ${conditionerNorm ?? 'free'} ${JSON.stringify(domain)} d=${d}`;
          assert.ok(m.forward <= bound.forward, `${label}: forward ${m.forward} > ${bound.forward}`);
          assert.ok(m.inverse <= bound.inverse, `${label}: inverse ${m.inverse} > ${bound.inverse}`);
          ratios.push(
            `${label}: forward ${(m.forward / bound.forward).toFixed(3)}, inverse ${(m.inverse / bound.inverse).toFixed(3)}`,
          );
          checked++;
          layer.dispose();
        }
    assert.equal(checked, SCALES.length * 2 * DOMAINS.length);
    console.log(`measured / bound on the domain:\n  ${ratios.join('\n  ')}`);
  });

  it('grows with the domain: on a larger box the x2 ds/dx1 term is larger', () => {
    const layer = new AffineCoupling({ scale: 'bounded-tanh', hiddenUnits: 8, zeroInit: false, seed: 3 });
    layer.apply(tf.zeros([1, 4]));
    const small = layer.lipschitzBoundsOn({ kind: 'box', lo: -1, hi: 1 });
    const large = layer.lipschitzBoundsOn({ kind: 'box', lo: -10, hi: 10 });
    assert.ok(large.forward > small.forward && large.inverse > small.inverse);
    // Outside the small box the constant exceeds its bound: x1 near 0 keeps the scale's slope up while |x2| grows.
    const rnd = stream(11);
    const far = measure(
      layer,
      Array.from({ length: 8 }, () => [
        rnd() - 0.5,
        rnd() - 0.5,
        rnd() < 0.5 ? -200 : 200,
        rnd() < 0.5 ? -200 : 200,
      ]),
    );
    console.log(
      `box [-1, 1] bound ${JSON.stringify(small)}; measured with |x2| = 200: ${JSON.stringify(far)}`,
    );
    assert.ok(far.forward > small.forward || far.inverse > small.inverse);
    layer.dispose();
  });

  it('a constrained conditioner keeps every kernel at norm <= c through training', () => {
    const layer = new AffineCoupling({ hiddenUnits: 16, zeroInit: false, conditionerNorm: 0.5, seed: 5 });
    const x = tf.randomNormal([32, 6], 0, 1, 'float32', 1);
    layer.apply(x);
    const optimizer = tf.train.adam(0.1);
    for (let step = 0; step < 20; step++)
      optimizer.minimize(() => tf.neg(tf.sum(tf.square(layer.apply(x) as tf.Tensor))) as tf.Scalar);
    // The kernels the layer applies: the variables rescaled as the layer does, measured in float64.
    const applied = tf.tidy(() => (layer as unknown as { net: { applied(): tf.Tensor[] } }).net.applied());
    for (const k of applied) {
      const rows = k.arraySync() as number[][];
      const sigma = Math.max(...new SVD(new Matrix(rows), { autoTranspose: true }).diagonal);
      assert.ok(sigma <= 0.5, `applied kernel norm ${sigma} > 0.5`);
    }
    // The raw variables did grow past c: the constraint did something.
    const raw = layer.getWeights().filter((w) => w.rank === 2);
    const rawMax = Math.max(
      ...raw.map((w) =>
        Math.max(...new SVD(new Matrix(w.arraySync() as number[][]), { autoTranspose: true }).diagonal),
      ),
    );
    assert.ok(rawMax > 0.5, `raw kernel norm ${rawMax}`);
    tf.dispose([x, ...applied]);
    optimizer.dispose();
    layer.dispose();
  });
});
