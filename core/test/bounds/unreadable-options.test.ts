/** Unknown is a value: an option present but not statically readable gives an unknown bound naming it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBounds, type NodeBounds } from '../../src/bounds';
import { extractSource } from '../../src/extract';
import { walk } from '../../src/ir/model-ir';

/** Bounds of every layer of the source's models, by layer type (the first of each). */
function layerBounds(source: string): Map<string, NodeBounds> {
  const ir = extractSource(source, '/m.ts');
  const bounds = computeBounds(ir);
  const out = new Map<string, NodeBounds>();
  for (const model of ir.models) {
    walk(model.body, (n) => {
      if (n.kind === 'layer' && !out.has(n.layerType)) out.set(n.layerType, bounds.get(n.id)!);
    });
  }
  return out;
}

const HEADER = `import * as tf from '@tensorflow/tfjs';
import { ActNorm, AffineCoupling, InvertibleResidual, SpectralDense, spectralNorm } from 'lipschitz-lens';
`;

function model(config: string): string {
  return `${HEADER}
export function build(c: number, m: number, x: number) {
  return tf.sequential({
    layers: [
      new InvertibleResidual({ hiddenUnits: [8], ${config.replace(/\$c/g, 'coeff: c')} }),
      tf.layers.dense({ units: 4, kernelConstraint: spectralNorm({ ${config.replace(/\$c/g, 'coeff: c')} }) }),
      new SpectralDense({ units: 4, ${config.replace(/\$c/g, 'coeff: c')} }),
      new ActNorm({ scaleBound: m }),
      new AffineCoupling({ scaleBound: x }),
    ],
  });
}`;
}

describe('options present but not statically readable', () => {
  it('coeff / scaleBound from a parameter hover as unknown, naming the option', () => {
    const b = layerBounds(model('$c'));
    for (const [type, key] of [
      ['InvertibleResidual', 'coeff'],
      ['dense', 'coeff'],
      ['SpectralDense', 'coeff'],
      ['ActNorm', 'scaleBound'],
    ] as const) {
      const got = b.get(type);
      assert.ok(got, `${type} extracted`);
      assert.equal(got.forward, 'unknown', `${type}: ${got.source}`);
      assert.equal(got.inverse, 'unknown', `${type}: ${got.source}`);
      assert.match(got.source, new RegExp(`'${key}' is present but`), `${type}: ${got.source}`);
    }
  });

  it('AffineCoupling({ scaleBound: x }): unbounded globally (any scale), its x2 gains unknown naming the option', () => {
    const got = layerBounds(model('$c')).get('AffineCoupling')!;
    assert.equal(got.forward, 'unbounded');
    assert.deepEqual(got.x2Gains, { forward: 'unknown', inverse: 'unknown' });
    assert.match(got.notes.join(' '), /'scaleBound' is present but 'x' is not known statically/);
  });

  it('literal and const coefficients keep their numbers; absent ones take the default', () => {
    const src = `${HEADER}
const C = 0.5;
export const net = tf.sequential({
  layers: [
    new InvertibleResidual({ hiddenUnits: [8], coeff: C }),
    tf.layers.dense({ units: 4, kernelConstraint: spectralNorm({ coeff: 0.7 }) }),
    new SpectralDense({ units: 4 }),
    new ActNorm({ scaleBound: 3 }),
  ],
});`;
    const b = layerBounds(src);
    const lip = 0.5 * 0.5;
    assert.ok(Math.abs((b.get('InvertibleResidual')!.forward as number) - (1 + lip)) < 1e-12);
    assert.ok(Math.abs((b.get('InvertibleResidual')!.inverse as number) - 1 / (1 - lip)) < 1e-12);
    assert.equal(b.get('dense')!.forward, 0.7);
    assert.equal(b.get('SpectralDense')!.forward, 1, 'absent coeff: the documented default 1');
    assert.equal(b.get('ActNorm')!.forward, 3);
    assert.equal(b.get('ActNorm')!.inverse, 3);
  });
});

describe('spectral normalisation shows c only where it is certified', () => {
  const spectral = (norm: string): string => `${HEADER}
declare const how: 'certified' | 'power';
export const m = tf.sequential({
  layers: [
    tf.layers.dense({ units: 4, kernelConstraint: spectralNorm({ coeff: 0.9${norm} }) }),
    new SpectralDense({ units: 4, coeff: 0.9${norm} }),
  ],
});`;

  it("certified (the default, or norm: 'certified'): forward <= c", () => {
    for (const norm of ['', ", norm: 'certified'"]) {
      const b = layerBounds(spectral(norm));
      assert.equal(b.get('dense')!.forward, 0.9);
      assert.equal(b.get('SpectralDense')!.forward, 0.9);
    }
  });

  it("norm: 'power' divides by an estimate, and a norm not known statically is not known to certify: unknown", () => {
    for (const [norm, why] of [
      [", norm: 'power'", /power-iteration estimate/],
      [', norm: how', /'norm' is present but how/],
    ] as const) {
      const b = layerBounds(spectral(norm));
      for (const type of ['dense', 'SpectralDense']) {
        assert.equal(b.get(type)!.forward, 'unknown', `${type} ${norm}`);
        assert.match(b.get(type)!.source, why);
      }
    }
  });
});
