import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelExtractor } from '../../src/extract';
import { layersOf, model } from './helpers';

/** Writes `files` (relative path -> text) into a fresh folder; returns an extractor rooted there. */
function project(files: Record<string, string>): { root: string; ex: ModelExtractor } {
  const root = mkdtempSync(join(tmpdir(), 'lens-xfile-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  roots.push(root);
  return { root, ex: new ModelExtractor({ rootDir: root }) };
}
const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const where = (m: ReturnType<typeof model>, root: string): string[] =>
  layersOf(m.body).map((l) => `${l.layerType}@${l.range.file.slice(root.length + 1)}:${l.range.start.line}`);

describe('extract: helpers in other files', () => {
  it('follows require() of relative files: module.exports objects and module.exports = function', () => {
    const { root, ex } = project({
      'lib/blocks.js': `const tf = require('@tensorflow/tfjs');
function denseBlock(units) {
  return [tf.layers.dense({ units }), tf.layers.dropout({ rate: 0.1 })];
}
module.exports = { denseBlock };`,
      'lib/conv.js': `const tf = require('@tensorflow/tfjs');
module.exports = (filters) => tf.layers.conv1d({ filters, kernelSize: 3 });`,
      'main.js': `const tf = require('@tensorflow/tfjs-node');
const { denseBlock } = require('./lib/blocks');
const conv = require('./lib/conv');
const blocks = require('./lib/blocks.js');
function createModel() {
  return tf.sequential({ layers: [conv(2), ...denseBlock(4), ...blocks.denseBlock(8)] });
}
module.exports = { createModel };`,
    });
    const ir = ex.extractFile('main.js');
    const m = model(ir, 'createModel');
    assert.equal(m.exportName, 'createModel');
    assert.deepEqual(where(m, root), [
      'conv1d@lib/conv.js:1',
      'dense@lib/blocks.js:2',
      'dropout@lib/blocks.js:2',
      'dense@lib/blocks.js:2',
      'dropout@lib/blocks.js:2',
    ]);
    assert.deepEqual(
      layersOf(m.body).map((l) => l.config.units ?? l.config.filters),
      [2, 4, undefined, 8, undefined],
    );
  });

  it('follows re-exports (export *, export { x as y } from, export { default as z } from) and default exports', () => {
    const { root, ex } = project({
      'lib/recurrent.ts': `import * as tf from '@tensorflow/tfjs';
export default function (units: number) { return tf.layers.lstm({ units }); }
export const gru = (units: number) => tf.layers.gru({ units });`,
      'lib/dense.ts': `import * as tf from '@tensorflow/tfjs';
const dense = (units: number) => tf.layers.dense({ units });
export default dense;`,
      'lib/index.ts': `export * from './recurrent';
export { default as lstm } from './recurrent';
export { gru as gru2 } from './recurrent';
export { default } from './dense';
export * from '@tensorflow/tfjs';`,
      'model.ts': `import dense, { gru, gru2, lstm, layers, sequential } from './lib';
import recurrent from './lib/recurrent';
export const m = sequential({ layers: [gru(1), gru2(2), lstm(3), recurrent(4), dense(5), layers.flatten()] });`,
    });
    const ir = ex.extractFile('model.ts');
    assert.deepEqual(where(model(ir, 'm'), root), [
      'gru@lib/recurrent.ts:2',
      'gru@lib/recurrent.ts:2',
      'lstm@lib/recurrent.ts:1',
      'lstm@lib/recurrent.ts:1',
      'dense@lib/dense.ts:1',
      'flatten@model.ts:2',
    ]);
    assert.deepEqual(ir.notes, []);
  });

  it('reads an ES import of a CommonJS module (default import is the module object)', () => {
    const { root, ex } = project({
      'layers.js': `const tf = require('@tensorflow/tfjs');
exports.head = (n) => tf.layers.dense({ units: n, activation: 'softmax' });`,
      'model.ts': `import * as tf from '@tensorflow/tfjs';
import L from './layers';
import { head } from './layers';
export const m = tf.sequential({ layers: [L.head(3), head(4)] });`,
    });
    assert.deepEqual(where(model(ex.extractFile('model.ts'), 'm'), root), [
      'dense@layers.js:1',
      'dense@layers.js:1',
    ]);
  });

  it('notes a name that the imported file does not export', () => {
    const { ex } = project({
      'a.ts': `export const x = 1;`,
      'b.ts': `import * as tf from '@tensorflow/tfjs';
import { missing } from './a';
export const m = tf.sequential({ layers: [missing(2)] });`,
    });
    const ir = ex.extractFile('b.ts');
    assert.ok(ir.notes.some((n) => /'missing' is not exported/.test(n.message)));
  });
});
