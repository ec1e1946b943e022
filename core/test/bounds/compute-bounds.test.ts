import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockBounds,
  type Bound,
  computeBounds,
  fixedPointIterations,
  mulBound,
  residualInverse,
} from '../../src/bounds';
import type { BlockNode, ConfigValue, IrNode, LayerNode, ScaleForm, Wiring } from '../../src/ir/model-ir';
import { fileOf, R } from './ir-builders';

let next = 0;

function layer(
  layerType: string,
  config: { [key: string]: ConfigValue } = {},
  origin: LayerNode['origin'] = 'tfjs',
): LayerNode {
  return { kind: 'layer', id: `l${next++}`, layerType, origin, config, range: R };
}
function sn(c: number): ConfigValue {
  return { kind: 'call', callee: 'spectralNorm', args: [{ c }], range: R };
}
function block(wiring: Wiring, children: IrNode[], scale?: ScaleForm): BlockNode {
  return { kind: 'block', id: `b${next++}`, wiring, children, range: R, ...(scale ? { scale } : {}) };
}
const file = fileOf;
function close(actual: Bound | undefined, expected: number): void {
  assert.equal(typeof actual, 'number', `expected a number, got ${String(actual)}`);
  assert.ok(Math.abs((actual as number) - expected) < 1e-9, `${String(actual)} != ${expected}`);
}

describe('bound arithmetic', () => {
  it('unbounded dominates unknown in products', () => {
    assert.equal(mulBound('unknown', 'unbounded'), 'unbounded');
    assert.equal(mulBound(2, 'unknown'), 'unknown');
    assert.equal(mulBound(2, 3), 6);
  });
  it('residual inverse 1/(1-L); unknown, not unbounded, at L >= 1', () => {
    close(residualInverse(0.5), 2);
    // L >= 1 bounds nothing, and proves nothing either: x + exp(x) has an inverse of Lipschitz constant 1.
    assert.equal(residualInverse(1), 'unknown');
    assert.equal(residualInverse('unbounded'), 'unknown');
  });
  it('fixed-point iterations k = ceil(log(tol)/log(L))', () => {
    assert.equal(fixedPointIterations(0.9, 1e-6), 132);
    assert.equal(fixedPointIterations(0.5, 1e-6), 20);
    assert.equal(fixedPointIterations(1, 1e-6), 'unbounded');
  });
});

describe('computeBounds', () => {
  it('a choice between layers is bounded by the largest, and unknown when one is', () => {
    const a = layer('dense', { units: 8, kernelConstraint: sn(0.5) });
    const b = layer('dense', { units: 8, kernelConstraint: sn(0.8) });
    const pick = block('choice', [a, block('sequence', [b])]);
    const res = block('residual', [pick]);
    const { ir } = file(block('sequence', [res]));
    const bounds = computeBounds(ir);
    close(bounds.get(pick.id)?.forward, 0.8);
    // Whichever layer the run picks, x + g(x) keeps the bounds of the worst: 1 + 0.8 and 1/(1 - 0.8).
    close(bounds.get(res.id)?.forward, 1.8);
    close(bounds.get(res.id)?.inverse, 5);
    const free = block('choice', [a, layer('dense', { units: 8 })]);
    assert.equal(computeBounds(file(block('sequence', [free])).ir).get(free.id)?.forward, 'unknown');
  });

  it('residual with a spectral dense: 1 + c forward, 1/(1-c) inverse', () => {
    const d = layer('dense', { units: 8, kernelConstraint: sn(0.9) });
    const res = block('residual', [d]);
    const { ir } = file(block('sequence', [res]));
    const b = computeBounds(ir);
    close(b.get(d.id)?.forward, 0.9);
    close(b.get(res.id)?.forward, 1.9);
    close(b.get(res.id)?.inverse, 10);
    assert.match(b.get(res.id)!.source, /1\/\(1-L\) with L=0\.9: Lip\(g\) < 1 certified \(i-ResNet\)/);
    assert.match(b.get(d.id)!.source, /spectral norm coefficient c=0\.9/);
  });

  it('a branch of two layers multiplies: L = 0.9 * 0.9 * relu(1) = 0.81', () => {
    const branch = [
      layer('dense', { units: 8, kernelConstraint: sn(0.9), activation: 'relu' }),
      layer('SpectralDense', { units: 8, coeff: 0.9 }, 'lipschitz-lens'),
    ];
    const res = block('residual', branch);
    const { ir, model } = file(
      block('sequence', [
        res,
        block('residual', [layer('SpectralDense', { units: 8, coeff: 0.5 }, 'lipschitz-lens')]),
      ]),
    );
    const b = computeBounds(ir);
    close(b.get(res.id)?.forward, 1.81);
    close(b.get(res.id)?.inverse, 1 / 0.19);
    // The model is the product: (1.81)(1.5) forward, (1/0.19)(2) inverse.
    close(b.get(model.id)?.forward, 1.81 * 1.5);
    close(b.get(model.id)?.inverse, (1 / 0.19) * 2);
  });

  it('residual with L >= 1 has no inverse bound; unconstrained dense is unknown', () => {
    const bad = block('residual', [layer('dense', { units: 8, kernelConstraint: sn(1.2) })]);
    const unk = block('residual', [layer('dense', { units: 8 })]);
    const { ir } = file(block('sequence', [bad, unk]));
    const b = computeBounds(ir);
    assert.equal(b.get(bad.id)?.inverse, 'unknown');
    assert.equal(b.get(unk.id)?.forward, 'unknown');
    assert.match(computeBounds(ir).get(unk.id!)!.source, /residual/);
  });

  it('additive coupling: 1 + Lip(t) both ways', () => {
    const c = block('additive-coupling', [
      layer('dense', { units: 4, kernelConstraint: sn(0.5), activation: 'tanh' }),
      layer('dense', { units: 4, kernelConstraint: sn(0.5) }),
    ]);
    const b = computeBounds(file(block('sequence', [c])).ir);
    close(b.get(c.id)?.forward, 1.25);
    close(b.get(c.id)?.inverse, 1.25);
  });

  it('affine couplings: unbounded globally for every scale form; x2 gains kept as a separate figure', () => {
    const exp = block('affine-coupling', [], 'exp');
    const sig = block('affine-coupling', [], 'sigmoid');
    const learned = block('affine-coupling', [], 'learned-param');
    const lens = layer('AffineCoupling', { scale: 'bounded-tanh', scaleBound: 3 }, 'lipschitz-lens');
    const floor = layer('AffineCoupling', { scale: 'sigmoid-floor', scaleFloor: 0.1 }, 'lipschitz-lens');
    const b = computeBounds(file(block('sequence', [exp, sig, learned, lens, floor])).ir);
    for (const node of [exp, sig, lens, floor]) {
      assert.equal(b.get(node.id)?.forward, 'unbounded');
      assert.equal(b.get(node.id)?.inverse, 'unbounded');
      assert.match(b.get(node.id)!.source, /x2 · ds\/dx1/);
    }
    assert.deepEqual(b.get(exp.id)?.x2Gains, { forward: 'unbounded', inverse: 'unbounded' });
    assert.deepEqual(b.get(sig.id)?.x2Gains, { forward: 1, inverse: 'unbounded' });
    close(b.get(lens.id)?.x2Gains?.forward, 3);
    close(b.get(lens.id)?.x2Gains?.inverse, 3);
    close(b.get(floor.id)?.x2Gains?.inverse, 10);
    assert.match(b.get(lens.id)!.notes.join(' '), /for fixed x1: gain in x2 <= 3/);
    // s = exp(w) with w a weight: constant in the data, finite for given weights.
    assert.equal(b.get(learned.id)?.forward, 'unknown');
  });

  it('InvertibleResidual: L = coeff^(hidden layers + 1)', () => {
    const r = layer('InvertibleResidual', { hiddenUnits: [16, 16], coeff: 0.9 }, 'lipschitz-lens');
    const b = computeBounds(file(block('sequence', [r])).ir);
    close(b.get(r.id)?.forward, 1 + 0.729);
    close(b.get(r.id)?.inverse, 1 / (1 - 0.729));
  });

  it('activations, batch norm, ActNorm, relu inverse', () => {
    const nodes = [
      layer('activation', { activation: 'sigmoid' }),
      layer('activation', { activation: 'selu' }),
      layer('batchNormalization'),
      layer('ActNorm', {}, 'lipschitz-lens'),
      layer('reLU'),
    ];
    const b = computeBounds(file(block('sequence', nodes)).ir);
    close(b.get(nodes[0]!.id)?.forward, 0.25);
    close(b.get(nodes[1]!.id)?.forward, 1.0507009873554805 * 1.6732632423543772);
    // Batch norm's inverse, like ActNorm's, is finite for given weights: unknown statically, not unbounded.
    assert.equal(b.get(nodes[2]!.id)?.inverse, 'unknown');
    assert.equal(b.get(nodes[3]!.id)?.inverse, 'unknown');
    assert.equal(b.get(nodes[4]!.id)?.inverse, 'unbounded');
  });

  it('ActNorm: M both ways given a numeric scaleBound M, unknown otherwise', () => {
    const bounded = layer('ActNorm', { scaleBound: 10 }, 'lipschitz-lens');
    const log = layer('ActNorm', { scaleParam: 'log', scaleBound: 1.5 }, 'lipschitz-lens');
    const direct = layer('ActNorm', { scaleParam: 'direct', scaleBound: 10 }, 'lipschitz-lens');
    const tooSmall = layer('ActNorm', { scaleBound: 1 }, 'lipschitz-lens');
    const b = computeBounds(file(block('sequence', [bounded, log, direct, tooSmall])).ir);
    assert.equal(b.get(bounded.id)?.forward, 10);
    assert.equal(b.get(bounded.id)?.inverse, 10);
    assert.equal(b.get(bounded.id)?.source, 'ActNorm scaleBound 10: scale in [1/10, 10]');
    assert.equal(b.get(log.id)?.inverse, 1.5);
    assert.equal(b.get(direct.id)?.inverse, 'unknown', 'the layer rejects scaleBound with direct');
    assert.equal(b.get(tooSmall.id)?.forward, 'unknown', 'M <= 1 is rejected by the layer');
  });

  it('maxNorm dense: sqrt(units) * maxValue', () => {
    const d = layer('dense', {
      units: 16,
      kernelConstraint: { kind: 'call', callee: 'constraints.maxNorm', args: [{ maxValue: 2 }], range: R },
    });
    const b = computeBounds(file(block('sequence', [d])).ir);
    close(b.get(d.id)?.forward, 8);
  });

  it('blockBounds of a graph is unknown', () => {
    assert.equal(blockBounds(block('graph', []), []).forward, 'unknown');
  });
});
