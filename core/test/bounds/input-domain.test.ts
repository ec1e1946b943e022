/**
 * `@inputDomain`: the static bound of an affine coupling on the declared domain, against the same layer built
 * with tfjs (its lipschitzBoundsOn and the constants measured inside the domain), and the cases that must stay
 * unknown or unbounded.
 */
import * as tf from '@tensorflow/tfjs';
import { Matrix, SVD } from 'ml-matrix';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { computeBounds, type NodeBounds } from '../../src/bounds';
import { extractSource } from '../../src/extract';
import { walk } from '../../src/ir/model-ir';
import { AffineCoupling } from '../../src/layers';
import { lowerTriangularNorm, parseInputDomain } from '../../src/specs/input-domain';
import { jacobianAt, singularRange } from '../properties/measure';

before(async () => {
  await tf.setBackend('cpu');
});

const COUPLING = `{ scale: 'bounded-tanh', scaleBound: 2, hiddenUnits: 8, hiddenLayers: 1, activation: 'tanh', conditionerNorm: 0.9, zeroInit: false, seed: 4 }`;

function source(tags: string, first = COUPLING): string {
  return `import { AffineCoupling, Flow, Permutation } from 'lipschitz-lens';
/**
${tags
  .split('\n')
  .map((t) => ` * ${t}`)
  .join('\n')}
 */
export const flow = new Flow([
  new Permutation({ mode: 'reverse' }),
  new AffineCoupling(${first}),
  new AffineCoupling(${COUPLING}),
]);
`;
}

/** The model's bounds and its affine couplings', in order. */
function boundsOf(text: string): { model: NodeBounds; couplings: NodeBounds[] } {
  const ir = extractSource(text, '/flow.ts');
  const bounds = computeBounds(ir);
  const model = ir.models[0]!;
  const couplings: NodeBounds[] = [];
  walk(model.body, (n) => {
    if (n.kind === 'layer' && n.layerType === 'AffineCoupling') couplings.push(bounds.get(n.id)!);
  });
  return { model: bounds.get(model.id)!, couplings };
}

describe('@inputDomain', () => {
  it('parses a box and a ball, and explains what it cannot read', () => {
    assert.deepEqual(parseInputDomain('box [-3, 3]'), { kind: 'box', lo: -3, hi: 3 });
    assert.deepEqual(parseInputDomain('box 0 1'), { kind: 'box', lo: 0, hi: 1 });
    assert.deepEqual(parseInputDomain(' ball 5 '), { kind: 'ball', radius: 5 });
    for (const bad of ['box [3, -3]', 'ball -1', 'ball', 'radius 5', 'box [0, Infinity]', ''])
      assert.ok('error' in parseInputDomain(bad), bad);
  });

  it('the 2x2 lower-triangular norm is the float64 largest singular value', () => {
    for (const [a, c, d] of [
      [1, 0, 2],
      [1, 3, 0.5],
      [1, 0.1, 1],
      [2, 7, 3],
    ] as const) {
      const svd = new SVD(
        new Matrix([
          [a, 0],
          [c, d],
        ]),
      );
      assert.ok(Math.abs(lowerTriangularNorm(a, c, d) - Math.max(...svd.diagonal)) < 1e-12);
    }
  });

  it('without a domain the coupling is unbounded and has no domain bound', () => {
    const { couplings, model } = boundsOf(source('@inputShape [4]'));
    assert.equal(couplings[0]!.forward, 'unbounded');
    assert.equal(couplings[0]!.onDomain, undefined);
    assert.equal(model.onDomain, undefined);
  });

  it('with a domain the first coupling has a finite bound that holds for the built layer inside it', () => {
    const { couplings, model } = boundsOf(source('@inputShape [4]\n@inputDomain box [-2, 2]'));
    const first = couplings[0]!;
    assert.equal(first.forward, 'unbounded', 'still unbounded globally');
    const on = first.onDomain!;
    assert.ok(typeof on.forward === 'number' && typeof on.inverse === 'number', on.source);
    // The second coupling sees the first's output: the domain's image there depends on the weights.
    assert.equal(couplings[1]!.onDomain?.forward, 'unknown');
    assert.match(couplings[1]!.onDomain!.source, /AffineCoupling/);
    assert.equal(model.onDomain?.forward, 'unknown');

    // The same layer, built: its weight-based bound and the measured constants stay below the static one.
    const layer = new AffineCoupling({
      scale: 'bounded-tanh',
      scaleBound: 2,
      hiddenUnits: 8,
      hiddenLayers: 1,
      activation: 'tanh',
      conditionerNorm: 0.9,
      zeroInit: false,
      seed: 4,
    });
    layer.apply(tf.zeros([1, 4]));
    // Grow the weights so the conditioner's constraint is active, as after training.
    layer.setWeights(layer.getWeights().map((w) => tf.mul(w, 10)));
    const runtime = layer.lipschitzBoundsOn({ kind: 'box', lo: -2, hi: 2 });
    assert.ok(runtime.forward <= on.forward && runtime.inverse <= on.inverse);
    let forward = 0;
    let inverse = 0;
    const f = (x: tf.Tensor): tf.Tensor => layer.apply(x) as tf.Tensor;
    for (let i = 0; i < 40; i++) {
      const x = tf.randomUniform([1, 4], -2, 2, 'float32', i);
      // Every other point at the corners of x2, where |x2| is largest.
      const p = i % 2 ? tf.concat([x.slice([0, 0], [1, 2]), tf.sign(x.slice([0, 2], [1, 2])).mul(2)], 1) : x;
      const y = f(p);
      forward = Math.max(forward, singularRange(jacobianAt(f, p)).max);
      inverse = Math.max(inverse, singularRange(jacobianAt((z) => layer.inverse(z), y)).max);
      tf.dispose([x, p, y]);
    }
    console.log(
      `box [-2, 2]: static ${on.forward} / ${on.inverse}, weights ${runtime.forward} / ${runtime.inverse}, measured ${forward} / ${inverse}`,
    );
    assert.ok(forward <= on.forward && inverse <= on.inverse);
    layer.dispose();
  });

  it('stays unknown where the bound depends on the weights, and says why', () => {
    const free = boundsOf(source('@inputDomain ball 3', "{ scale: 'bounded-tanh' }")).couplings[0]!;
    assert.equal(free.onDomain?.forward, 'unknown');
    assert.match(free.onDomain!.source, /unconstrained/);
    const exp = boundsOf(source('@inputDomain ball 3', "{ scale: 'exp', conditionerNorm: 0.5 }"))
      .couplings[0]!;
    assert.equal(exp.onDomain?.forward, 'unknown');
    assert.match(exp.onDomain!.source, /exp\(h\)/);
    const bad = boundsOf(source('@inputDomain cube 3')).model;
    assert.ok(bad.notes.some((n) => /@inputDomain 'cube 3'/.test(n)));
  });

  it('an image input without @inputShape takes the convolutional bound (3 per kernel), which is larger', () => {
    const vec = boundsOf(source('@inputShape [4]\n@inputDomain box [-1, 1]')).couplings[0]!.onDomain!;
    const img = boundsOf(source('@inputDomain box [-1, 1]')).couplings[0]!.onDomain!;
    assert.ok((img.forward as number) > (vec.forward as number));
    assert.match(img.source, /no @inputShape/);
  });
});
