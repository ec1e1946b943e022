import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import { isCall, isUnknown } from '../../src/ir/model-ir';
import { blocksOf, layersOf, lineOf, model } from './helpers';

describe('extract: imports and model forms', () => {
  it('reads tf.sequential({layers}) through a namespace import', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs-node';
export const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4] }), tf.layers.dense({ units: 1 })] });`);
    const m = model(ir, 'm');
    assert.equal(m.api, 'sequential');
    assert.equal(m.exportName, 'm');
    assert.deepEqual(
      layersOf(m.body).map((l) => [l.layerType, l.origin, l.config.units]),
      [
        ['dense', 'tfjs', 8],
        ['dense', 'tfjs', 1],
      ],
    );
  });

  it('reads named imports, aliases, require() and const aliases of namespaces', () => {
    const ir = extractSource(`import { layers as L, sequential } from '@tensorflow/tfjs';
const tfn = require('@tensorflow/tfjs-node-gpu');
const { layers } = require('@tensorflow/tfjs-layers');
const K = tfn.layers;
const a = sequential({ layers: [L.dense({ units: 1 })] });
const b = tfn.sequential({ layers: [layers.conv2d({ filters: 2, kernelSize: 3 }), K.flatten()] });`);
    assert.deepEqual(
      layersOf(model(ir, 'a').body).map((l) => l.layerType),
      ['dense'],
    );
    assert.deepEqual(
      layersOf(model(ir, 'b').body).map((l) => l.layerType),
      ['conv2d', 'flatten'],
    );
  });

  it('reads model.add() calls after the declaration', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
const m = tf.sequential();
m.add(tf.layers.dense({ units: 4 }));
m.add(tf.layers.relu());`);
    assert.deepEqual(
      layersOf(model(ir, 'm').body).map((l) => l.layerType),
      ['dense', 'relu'],
    );
  });

  it("reads this project's layers and constraints (origin lipschitz-lens)", () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
import { SpectralDense, spectralNorm, Flow, AffineCoupling as AC } from 'lipschitz-lens';
import * as ll from '../core/src/layers';
const m = tf.sequential({ layers: [new SpectralDense({ units: 4 }), tf.layers.dense({ units: 2, kernelConstraint: spectralNorm({ coeff: 0.5 }) })] });
const f = new Flow([new AC({ scale: 'exp' }), new ll.ActNorm({})]);`);
    const [sd, dense] = layersOf(model(ir, 'm').body);
    assert.equal(sd!.origin, 'lipschitz-lens');
    assert.equal(sd!.layerType, 'SpectralDense');
    const kc = dense!.config.kernelConstraint;
    assert.ok(isCall(kc));
    assert.equal(kc.callee, 'spectralNorm');
    assert.deepEqual(kc.args, [{ coeff: 0.5 }]);
    const f = model(ir, 'f');
    assert.equal(f.api, 'flow');
    assert.equal(f.intent.kind === 'invertible', true);
    assert.deepEqual(
      layersOf(f.body).map((l) => [l.layerType, l.config.scale]),
      [
        ['AffineCoupling', 'exp'],
        ['ActNorm', undefined],
      ],
    );
  });
});

describe('extract: MultiScaleFlow', () => {
  it('reads the steps of every level, in order, as an invertible flow', () => {
    const src = `import { MultiScaleFlow, ActNorm, AffineCoupling, AdditiveCoupling } from 'lipschitz-lens';
const step = (scale: string) => [new ActNorm({}), new AffineCoupling({ scale })];
/** @inputShape [8, 8, 2] */
export const msf = new MultiScaleFlow({
  levels: [[...step('exp'), ...step('bounded-tanh')], [new AdditiveCoupling({})]],
});`;
    const f = model(extractSource(src), 'msf');
    assert.equal(f.api, 'flow');
    assert.equal(f.intent.kind === 'invertible', true);
    assert.deepEqual(f.inputShape, [8, 8, 2]);
    assert.deepEqual(
      layersOf(f.body).map((l) => [l.layerType, l.config.scale]),
      [
        ['ActNorm', undefined],
        ['AffineCoupling', 'exp'],
        ['ActNorm', undefined],
        ['AffineCoupling', 'bounded-tanh'],
        ['AdditiveCoupling', undefined],
      ],
    );
  });
});

describe('extract: values', () => {
  it('resolves constants, arithmetic, spreads and Math, and keeps the rest unknown', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
const units = 64;
const base = { activation: 'relu', units: 1 };
const m = tf.sequential({ layers: [
  tf.layers.dense({ ...base, units: units * 2, kernelConstraint: tf.constraints.maxNorm({ maxValue: Math.sqrt(4) }) }),
  tf.layers.dense({ units: process.env.UNITS }),
  tf.layers.dense({ ...other, units: 3 }),
] });`);
    const [a, b, c] = layersOf(model(ir, 'm').body);
    assert.deepEqual(a!.config.units, 128);
    assert.equal(a!.config.activation, 'relu');
    const kc = a!.config.kernelConstraint;
    assert.ok(isCall(kc) && kc.callee === 'constraints.maxNorm');
    assert.deepEqual(kc.args, [{ maxValue: 2 }]);
    assert.ok(isUnknown(b!.config.units));
    assert.equal(c!.config.units, 3);
    assert.ok(c!.configUnknown, 'an unresolved spread marks the config as partial');
    assert.ok(ir.notes.some((n) => /Spread/.test(n.message)));
  });

  it('gives ranges as 0-based LSP positions of the creating call', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const m = tf.sequential({
  layers: [
    tf.layers.dense({ units: 1, kernelConstraint: tf.constraints.unitNorm() }),
  ],
});`;
    const ir = extractSource(src, '/tmp/ranges.ts');
    const [d] = layersOf(model(ir, 'm').body);
    const line = lineOf(src, 'tf.layers.dense');
    assert.deepEqual(d!.range.start, { line, character: 4 });
    assert.deepEqual(d!.range.end, { line, character: 78 });
    assert.equal(d!.range.file, '/tmp/ranges.ts');
    const kc = d!.config.kernelConstraint;
    assert.ok(isCall(kc));
    assert.deepEqual(kc.range.start, { line, character: 50 });
    assert.deepEqual(model(ir, 'm').range.start, { line: 1, character: 6 });
  });
});

describe('extract: functional API', () => {
  it('recognises x + branch(x) through tf.layers.add() and tf.add as residual blocks', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const input = tf.input({ shape: [8] });
const h = tf.layers.dense({ units: 8 }).apply(input);
const r1 = tf.layers.add().apply([input, h]);
const g = tf.layers.dense({ units: 8, activation: 'tanh' }).apply(tf.layers.dense({ units: 16 }).apply(r1));
const r2 = tf.add(r1, g);
const out = tf.layers.dense({ units: 2 }).apply(r2);
export const net = tf.model({ inputs: input, outputs: out });`;
    const ir = extractSource(src);
    const m = model(ir, 'net');
    assert.equal(m.api, 'functional');
    const kids = m.body.children;
    assert.deepEqual(
      kids.map((k) => (k.kind === 'block' ? k.wiring : k.kind)),
      ['residual', 'residual', 'layer'],
    );
    const [b1, b2] = kids as [
      import('../../src/ir/model-ir').BlockNode,
      import('../../src/ir/model-ir').BlockNode,
    ];
    assert.deepEqual(
      layersOf(b1).map((l) => l.config.units),
      [8],
    );
    assert.deepEqual(
      layersOf(b2).map((l) => l.config.units),
      [16, 8],
    );
    assert.equal(b2.anchor!.start.line, lineOf(src, 'tf.add(r1, g)'));
    assert.deepEqual(ir.looseLayers, []);
  });

  it('reads other merges as graph blocks', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
const x = tf.input({ shape: [4] });
const a = tf.layers.dense({ units: 2 }).apply(x);
const b = tf.layers.dense({ units: 2 }).apply(x);
const m = tf.model({ inputs: x, outputs: tf.layers.concatenate().apply([a, b]) });`);
    const [g] = model(ir, 'm').body.children;
    assert.ok(g?.kind === 'block' && g.wiring === 'graph');
    assert.equal(layersOf(g).filter((l) => l.layerType === 'dense').length, 2);
  });
});

describe('extract: helpers, loops, marks', () => {
  it('inlines helpers with their arguments and unrolls constant loops', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
function block(units: number, coeff = 0.9) {
  return [tf.layers.dense({ units, kernelConstraint: tf.constraints.maxNorm({ maxValue: coeff }) }), tf.layers.activation({ activation: 'relu' })];
}
const layers = [];
for (let i = 0; i < 3; i++) layers.push(...block(2 ** (i + 3)));
const more = [16, 32].map((u) => tf.layers.dense({ units: u }));
export const m = tf.sequential({ layers: [...layers, ...more] });`);
    const dense = layersOf(model(ir, 'm').body).filter((l) => l.layerType === 'dense');
    assert.deepEqual(
      dense.map((l) => l.config.units),
      [8, 16, 32, 16, 32],
    );
    const kc = dense[0]!.config.kernelConstraint;
    assert.ok(isCall(kc));
    assert.deepEqual(kc.args, [{ maxValue: 0.9 }]);
    assert.deepEqual(ir.looseLayers, [], 'helper layers reached by a model are not loose');
  });

  it('reads an unknown loop bound once, with a note', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
export function build(n: number) {
  const m = tf.sequential();
  for (let i = 0; i < n; i++) m.add(tf.layers.dense({ units: 4 }));
  return m;
}`);
    assert.equal(layersOf(model(ir, 'build').body).length, 1);
    assert.ok(ir.notes.some((n) => /Loop bound/.test(n.message)));
  });

  it('reads JSDoc tags and names: @invertible, @lipschitz, @checkpoint, critic/discriminator', () => {
    const ir = extractSource(
      `import * as tf from '@tensorflow/tfjs';
/**
 * @lipschitz
 * @checkpoint ./ckpt/model.json
 */
export function makeNet() { return tf.sequential({ layers: [tf.layers.dense({ units: 1 })] }); }
/** @invertible */
const inv = tf.sequential({ layers: [tf.layers.dense({ units: 1 })] });
const myDiscriminator = tf.sequential({ layers: [] });
const Critic2 = tf.sequential({ layers: [] });
const plain = tf.sequential({ layers: [] });`,
      '/proj/models/net.ts',
    );
    const net = model(ir, 'makeNet');
    assert.equal(net.intent.kind === 'lipschitz', true);
    assert.equal(net.checkpoint, '/proj/models/ckpt/model.json');
    assert.equal(net.exportName, 'makeNet');
    assert.equal(model(ir, 'inv').intent.kind === 'invertible', true);
    // A name alone is not evidence that a Lipschitz bound is wanted.
    assert.equal(model(ir, 'myDiscriminator').intent.kind, 'ordinary');
    assert.equal(model(ir, 'Critic2').intent.kind, 'ordinary');
    assert.equal(model(ir, 'plain').intent.kind === 'lipschitz', false);
    assert.equal(model(ir, 'plain').intent.kind === 'invertible', false);
  });

  it('names a model built by a factory after the variable, and keeps the factory JSDoc', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
/** @lipschitz */
function make(units: number) { return tf.sequential({ layers: [tf.layers.dense({ units })] }); }
export const small = make(4);
export const big = make(64);`);
    assert.deepEqual(
      ir.models.map((m) => m.name),
      ['small', 'big'],
    );
    assert.ok(ir.models.every((m) => m.intent.kind === 'lipschitz'));
    assert.equal(layersOf(model(ir, 'big').body)[0]!.config.units, 64);
    assert.equal(blocksOf(model(ir, 'big').body).length, 1);
  });

  it('lists layers of helpers that no model uses as loose layers, once each', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
export function head(units: number) { return tf.layers.dense({ units }); }`);
    assert.equal(ir.models.length, 0);
    assert.equal(ir.looseLayers.length, 1);
    assert.ok(isUnknown(ir.looseLayers[0]!.config.units));
  });
});
