import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource, findAuditTarget } from '../../src/extract';
import { layersOf, lineOf, model } from './helpers';

const types = (m: ReturnType<typeof model>): string[] => layersOf(m.body).map((l) => l.layerType);

describe('extract: models built in callbacks, promise chains and nested functions', () => {
  it('reads models built in then() callbacks, event handlers and timers (script-tag tf)', () => {
    const src = `tf.ready().then(() => {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1] }));
});
document.getElementById('train').addEventListener('click', async () => {
  const net = tf.sequential({ layers: [tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1] })] });
  await net.fit(xs, ys);
});
setTimeout(function () {
  const rnn = tf.sequential();
  rnn.add(tf.layers.lstm({ units: 2, inputShape: [5, 1] }));
}, 0);`;
    const ir = extractSource(src, 'index.js');
    assert.deepEqual(types(model(ir, 'model')), ['dense']);
    assert.deepEqual(types(model(ir, 'net')), ['conv2d']);
    assert.deepEqual(types(model(ir, 'rnn')), ['lstm']);
  });

  it('reads a callback in the scope it closes over, when the promise settles', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
import { loadData } from './data';
const model = tf.sequential();
loadData().then(async (data) => {
  model.add(tf.layers.dense({ units: data.numFeatures }));
  model.add(tf.layers.dense({ units: 1 }));
  await model.fit(data.xs, data.ys);
});`;
    const m = model(extractSource(src), 'model');
    assert.equal(layersOf(m.body).length, 2);
  });

  it('reads an async main function and a function nested in it', () => {
    const src = `async function run() {
  const data = await load();
  function createModel(units) {
    return tf.sequential({ layers: [tf.layers.dense({ units, inputShape: [4] }), tf.layers.dense({ units: 3 })] });
  }
  const model = createModel(10);
  await train(model, data);
}
document.addEventListener('DOMContentLoaded', run);`;
    const ir = extractSource(src, 'iris.js');
    assert.equal(ir.models.length, 1, 'the helper ran once from run(), with its argument');
    const m = model(ir, 'createModel');
    assert.deepEqual(
      layersOf(m.body).map((l) => l.config.units),
      [10, 3],
    );
  });

  it('reads the callback of a map over a list not known statically once, as one element of the list', () => {
    const ir = extractSource(
      `export function mlp(sizes, act) {
  return tf.sequential({ layers: sizes.map((units) => tf.layers.dense({ units, activation: act })) });
}`,
      'mlp.js',
    );
    assert.deepEqual(types(model(ir, 'mlp')), ['dense']);
    assert.ok(ir.notes.some((n) => /List not known statically/.test(n.message)));
  });

  it('lints layers added to a model it cannot see (a then() parameter) as loose layers', () => {
    const src = `tf.loadLayersModel('model.json').then((base) => {
  base.add(tf.layers.dense({ units: 7 }));
});`;
    const ir = extractSource(src, 'transfer.js');
    assert.deepEqual(
      ir.looseLayers.map((l) => [l.layerType, l.range.start.line]),
      [['dense', 1]],
    );
  });
});

describe('extract: CommonJS and the script-tag tf', () => {
  it('knows exports from module.exports = { ... }, exports.x and module.exports.x', () => {
    const src = `const tf = require('@tensorflow/tfjs-node');
function createModel(inputShape) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 50, inputShape }));
  return model;
}
exports.wide = function () {
  return tf.sequential({ layers: [tf.layers.dense({ units: 500, inputShape: [3] })] });
};
module.exports.deep = (n) => tf.sequential({ layers: [tf.layers.gru({ units: n, inputShape: [3, 1] })] });
exports.fixed = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 10, outputDim: 2 })] });
module.exports = { createModel, build: createModel };`;
    const ir = extractSource(src, 'model.js');
    assert.equal(model(ir, 'createModel').exportName, 'createModel');
    const wide = model(ir, 'wide');
    assert.equal(wide.exportName, 'wide');
    assert.equal(wide.range.start.line, lineOf(src, 'exports.wide'));
    assert.equal(model(ir, 'deep').exportName, 'deep');
    assert.equal(model(ir, 'fixed').exportName, 'fixed');
    assert.equal(findAuditTarget(ir, 'wide')?.model.name, 'wide');
  });

  it('knows a default export from module.exports = function', () => {
    const src = `const tf = require('@tensorflow/tfjs');
module.exports = function buildModel() {
  return tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
};`;
    const ir = extractSource(src, 'default.js');
    assert.equal(ir.models.length, 1);
    assert.equal(ir.models[0]!.exportName, 'default');
  });

  it('reads a reassigned require of a tfjs package (tfjs-node or tfjs-node-gpu) as the same namespace', () => {
    const src = `let tf = require('@tensorflow/tfjs');
function buildDiscriminator() {
  const cnn = tf.sequential();
  cnn.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, inputShape: [28, 28, 1] }));
  return cnn;
}
async function run(args) {
  if (args.gpu) tf = require('@tensorflow/tfjs-node-gpu');
  else tf = require('@tensorflow/tfjs-node');
}
module.exports = { buildDiscriminator };`;
    assert.deepEqual(types(model(extractSource(src, 'gan.js'), 'buildDiscriminator')), ['conv2d']);
  });

  it('reads a declared ambient tf and window.tf as the namespace, never a tf imported from another package', () => {
    const typed = extractSource(`declare const tf: typeof import('@tensorflow/tfjs');
const m = tf.sequential({ layers: [tf.layers.dense({ units: 1 })] });`);
    assert.deepEqual(types(model(typed, 'm')), ['dense']);
    const viaWindow = extractSource(`const tfx = window.tf;
const m = tfx.sequential({ layers: [tfx.layers.dense({ units: 1 })] });`);
    assert.deepEqual(types(model(viaWindow, 'm')), ['dense']);
    const other = extractSource(`import tf from 'tfjs-wrapper';
const m = tf.sequential({ layers: [tf.layers.dense({ units: 1 })] });`);
    assert.deepEqual(other.models, []);
    assert.deepEqual(other.looseLayers, []);
  });

  it('reads dynamic imports of tfjs, awaited or chained with then()', () => {
    const ir = extractSource(
      `export async function main() {
  const tfx = await import('@tensorflow/tfjs');
  const small = tfx.sequential({ layers: [tfx.layers.dense({ units: 3 })] });
  import('@tensorflow/tfjs-node').then((t) => {
    const big = t.sequential({ layers: [t.layers.conv1d({ filters: 1, kernelSize: 1 })] });
  });
}`,
    );
    assert.deepEqual(types(model(ir, 'small')), ['dense']);
    assert.deepEqual(types(model(ir, 'big')), ['conv1d']);
  });

  it('reads the free global tf of a browser script, but never a tf that is declared or a parameter', () => {
    const ir = extractSource(
      `async function run() {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1] }));
}
function fromParam(tf) { return tf.layers.dense({ units: 2 }); }
function fromLocal() { const tf = makeNamespace(); return tf.layers.dense({ units: 3 }); }`,
      'script.js',
    );
    assert.deepEqual(types(model(ir, 'model')), ['dense']);
    assert.deepEqual(ir.looseLayers, []);
  });
});
