import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import type { IrNode } from '../../src/ir/model-ir';
import { isUnknown } from '../../src/ir/model-ir';
import { layersOf, lineOf, model } from './helpers';

/** A compact picture of a body: `dense`, `choice[dense|conv2d]`. */
function shape(n: IrNode): string {
  if (n.kind === 'layer') return n.layerType;
  if (n.kind === 'op') return `op:${n.op}`;
  const inner = n.children.map(shape);
  return n.wiring === 'sequence' ? inner.join(', ') : `${n.wiring}[${inner.join('|')}]`;
}

describe('extract: layers chosen on paths not known statically', () => {
  it('reads every case of a switch on an unknown value (model.add in each case)', () => {
    const src = `function createModel(rnnType, hidden) {
  const model = tf.sequential();
  switch (rnnType) {
    case 'SimpleRNN':
      model.add(tf.layers.simpleRNN({ units: hidden }));
      break;
    case 'GRU':
      model.add(tf.layers.gru({ units: hidden }));
      break;
    default:
      throw new Error('unsupported ' + rnnType);
  }
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}`;
    const ir = extractSource(src, 'rnn.js');
    assert.equal(shape(model(ir, 'createModel').body), 'simpleRNN, gru, dense');
    assert.ok(ir.notes.some((n) => /Switch value not known/.test(n.message)));
  });

  it('reads only the matching case when the value is known, with fall-through', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const kind: string = 'lstm';
const model = tf.sequential();
switch (kind) {
  case 'dense':
    model.add(tf.layers.dense({ units: 2 }));
    break;
  case 'lstm':
  case 'gru':
    model.add(tf.layers.lstm({ units: 3 }));
  // falls through
  case 'after':
    model.add(tf.layers.dense({ units: 4 }));
    break;
  default:
    model.add(tf.layers.conv1d({ filters: 1, kernelSize: 1 }));
}`;
    const m = model(extractSource(src), 'model');
    assert.equal(shape(m.body), 'lstm, dense');
    assert.deepEqual(
      layersOf(m.body).map((l) => l.config.units),
      [3, 4],
    );
  });

  it('makes a layer returned from each case one choice block of the alternatives', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
function block(kind: string) {
  switch (kind) {
    case 'conv':
      return tf.layers.conv2d({ filters: 8, kernelSize: 3 });
    case 'gru':
    case 'lstm':
      return tf.layers.lstm({ units: 4 });
    default:
      return tf.layers.dense({ units: 2 });
  }
}
export function build(kind: string) {
  return tf.sequential({ layers: [block(kind), tf.layers.dense({ units: 1 })] });
}`;
    const m = model(extractSource(src), 'build');
    assert.equal(shape(m.body), 'choice[conv2d|lstm|dense], dense');
    const [choice] = m.body.children;
    assert.equal(choice!.range.start.line, lineOf(src, 'switch (kind)'));
  });

  it('collects returns on an unknown if and the return after it', () => {
    const src = `const tf = require('@tensorflow/tfjs');
function head(classes) {
  if (classes > 2) return tf.layers.dense({ units: classes, activation: 'softmax' });
  return tf.layers.dense({ units: 1, activation: 'sigmoid' });
}
exports.classifier = (n) => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28] }), head(n)] });`;
    const m = model(extractSource(src, 'head.js'), 'classifier');
    assert.equal(shape(m.body), 'flatten, choice[dense|dense]');
  });

  it('follows a known condition exactly', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const USE_CONV = false;
function layer() {
  if (USE_CONV) return tf.layers.conv1d({ filters: 2, kernelSize: 3 });
  return tf.layers.dense({ units: 2 });
}
export const m = tf.sequential({ layers: [layer()] });`;
    assert.equal(shape(model(extractSource(src), 'm').body), 'dense');
  });

  it('merges a variable assigned on both branches of an unknown if into its alternatives', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export function build(opts: { big: boolean; wide: boolean }) {
  let layer;
  if (opts.big) {
    layer = tf.layers.dense({ units: 64 });
  } else {
    layer = tf.layers.dense({ units: 8 });
  }
  let units = 8;
  if (opts.wide) units = 16;
  return tf.sequential({ layers: [layer, tf.layers.dense({ units })] });
}`;
    const m = model(extractSource(src), 'build');
    assert.equal(shape(m.body), 'choice[dense|dense], dense');
    const all = layersOf(m.body);
    assert.deepEqual(
      all.slice(0, 2).map((l) => l.config.units),
      [64, 8],
    );
    const last = all[2]!.config.units;
    assert.ok(isUnknown(last) && last.text === 'units', 'a number that differs between paths is unknown');
  });

  it('reads both sides of a conditional expression on an unknown condition', () => {
    const src = `const m = tf.sequential();
m.add(useConv ? tf.layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [8, 1] }) : tf.layers.dense({ units: 4, inputShape: [8] }));
m.add(tf.layers.dense({ units: 1, activation: debug ? 'linear' : 'linear' }));`;
    const m = model(extractSource(src, 'tern.js'), 'm');
    assert.equal(shape(m.body), 'choice[conv1d|dense], dense');
    assert.equal(layersOf(m.body)[2]!.config.activation, 'linear', 'equal alternatives are that value');
  });

  it('keeps the layer of a switch-chosen variable with no default (the unmatched path has none)', () => {
    const src = `function getModel(modelType, n) {
  const model = tf.sequential();
  let rnn;
  switch (modelType) {
    case 'lstm':
      rnn = tf.layers.lstm({ units: n, returnSequences: true });
      break;
    case 'bidirectional-lstm':
      rnn = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: n, returnSequences: true }) });
      break;
  }
  model.add(rnn);
  return model;
}`;
    const m = model(extractSource(src, 'tagger.js'), 'getModel');
    assert.equal(shape(m.body), 'choice[lstm|bidirectional]');
  });

  it('keeps every list of layers a switch may return, the empty one included', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
import { ActNorm, Flow, InvertibleLinear } from 'lipschitz-lens';
function normalization(kind: string): tf.layers.Layer[] {
  switch (kind) {
    case 'actnorm':
      return [new ActNorm({})];
    case 'batchnorm':
      return [tf.layers.batchNormalization({})];
    default:
      return [];
  }
}
export function buildFlow(kind: string) {
  const layers: tf.layers.Layer[] = [];
  for (let i = 0; i < 2; i++) layers.push(...normalization(kind), new InvertibleLinear({}));
  return new Flow(layers);
}`;
    const m = model(extractSource(src), 'buildFlow');
    assert.equal(
      shape(m.body),
      'choice[ActNorm|batchNormalization|], InvertibleLinear, choice[ActNorm|batchNormalization|], InvertibleLinear',
    );
  });

  it('merges objects chosen on unknown paths key by key, so a conditional spread keeps the config readable', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export function downBlock(filters: number, inputShape?: number[]) {
  return tf.layers.conv2d({ filters, kernelSize: 4, ...(inputShape ? { inputShape } : {}), strides: 2 });
}`;
    const [conv] = extractSource(src).looseLayers;
    assert.equal(conv!.configUnknown, undefined);
    assert.equal(conv!.config.kernelSize, 4);
    assert.ok(isUnknown(conv!.config.inputShape));
    assert.equal(conv!.config.kernelConstraint, undefined, 'no path gives a constraint');
  });

  it('reads the catch block as a path that may run', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export async function loadOrCreate(url: string) {
  let model;
  try {
    model = await tf.loadLayersModel(url);
  } catch (e) {
    model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] })] });
  }
  return model;
}`;
    const ir = extractSource(src);
    assert.equal(shape(ir.models[0]!.body), 'dense');
  });

  it('stops a constant loop at break and skips to the next iteration at continue', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const m = tf.sequential();
for (let i = 0; i < 10; i++) {
  if (i === 1) continue;
  if (i === 3) break;
  m.add(tf.layers.dense({ units: i + 1 }));
}`;
    assert.deepEqual(
      layersOf(model(extractSource(src), 'm').body).map((l) => l.config.units),
      [1, 3],
    );
  });
});
