import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import { layersOf, model } from './helpers';

const HEAD = `import * as tf from '@tensorflow/tfjs';\n`;

describe('extract: broken and large code never throws', () => {
  const broken = [
    'const m = tf.sequential({ layers: [tf.layers.dense({ units: 4 }), ',
    'const m = tf.sequential({ layers: [tf.layers.dense(',
    'tf.layers.dense(',
    'class X extends tf.layers.Layer { call(x) { return tf.exp(',
    'function f( { return',
    'const m = tf.model({ inputs: , outputs: tf.layers.dense({}).apply(',
    'for (let i = 0; i < ; i++) layers.push(',
    'const a = a + 1; const b = b.c.d(); function r() { return r(); } const z = r();',
    'const m = tf.sequential(); while (true) m.add(tf.layers.dense({units: 1}));',
    '}}}}} ))) const',
  ];
  for (const tail of broken) {
    it(`reads: ${tail.slice(0, 50)}`, () => {
      const ir = extractSource(HEAD + tail);
      assert.ok(Array.isArray(ir.models) && Array.isArray(ir.notes));
    });
  }

  it('keeps what it read before an unterminated brace', () => {
    const ir = extractSource(
      `${HEAD}const m = tf.sequential({ layers: [tf.layers.dense({ units: 4 }), tf.layers.dense({ units: `,
    );
    assert.equal(layersOf(model(ir, 'm').body)[0]!.config.units, 4);
  });

  it('reads a 5,000-line generated file', () => {
    const lines = [HEAD, 'const m = tf.sequential();'];
    for (let i = 0; lines.length < 5000; i++) {
      lines.push(`const u${i} = ${i % 7} + 1;`);
      lines.push(`m.add(tf.layers.dense({ units: u${i} * 2, activation: 'relu' }));`);
      lines.push(`function helper${i}(x: number) { return tf.layers.dense({ units: x + u${i} }); }`);
    }
    // Its speed is measured in bench/lint.bench.ts, not asserted here.
    const ir = extractSource(lines.join('\n'));
    assert.ok(layersOf(model(ir, 'm').body).length > 1000);
  });

  const shapes = [
    'class A { constructor() { this.a = new A(); this.b = new A(); } }',
    'class A extends A { forward(x) { return x; } }',
    'class A extends B {} class B extends A { constructor() { super(); } }',
    'function f() { later(() => f()); } f();',
    'const m = tf.sequential(); while (true) { switch (k) { case 1: break; default: continue; } m.add(tf.layers.dense({units: 1})); }',
    'switch (x) { case',
    'module.exports = ',
    'exports. = 3; module.exports.x',
    'export * from; export { a } from',
    'const o = { m() { return this.m(); } }; o.m();',
    'label: for (;;) { if (x) break label; else continue label; }',
    'try { throw 1 } catch { return } finally { }',
  ];
  for (const tail of shapes) {
    it(`reads: ${tail.slice(0, 60)}`, () => {
      const ir = extractSource(HEAD + tail, 'shape.js');
      assert.ok(Array.isArray(ir.models) && Array.isArray(ir.notes));
    });
  }

  it('keeps every case and callback of a large file within the step budget', () => {
    const lines = [HEAD, 'function pick(k) {', '  switch (k) {'];
    for (let i = 0; i < 2000; i++) lines.push(`    case ${i}: return tf.layers.dense({ units: ${i + 1} });`);
    lines.push('  }', '}');
    for (let i = 0; i < 2000; i++)
      lines.push(
        `button${i}.addEventListener('click', () => { const m${i} = tf.sequential({ layers: [pick(x)] }); });`,
      );
    const ir = extractSource(lines.join('\n'), 'big.js');
    assert.ok(ir.models.length > 0);
  });

  it('does not spend the budget on tensor data built from nested maps', () => {
    const ir = extractSource(
      `${HEAD}const rows = Array.from({ length: 200 }, (_, i) => i);
function mask() { return tf.tensor2d(rows.map((a) => rows.map((b) => (b >= a ? 1 : 0)))); }
const masks = [mask(), mask(), mask(), mask(), mask()];
const m = tf.sequential({ layers: [tf.layers.dense({ units: 4 })] });`,
    );
    assert.equal(layersOf(model(ir, 'm').body).length, 1);
    assert.ok(!ir.notes.some((n) => /too large/.test(n.message)));
  });

  it('stops runaway recursion and huge loops with notes', () => {
    const ir = extractSource(`${HEAD}
function deep(n: number): tf.layers.Layer[] { return [tf.layers.dense({ units: 1 }), ...deep(n + 1)]; }
const m = tf.sequential({ layers: deep(0) });
const big = tf.sequential();
for (let i = 0; i < 1e9; i++) big.add(tf.layers.dense({ units: 1 }));`);
    assert.ok(ir.models.length >= 1);
    assert.ok(ir.notes.some((n) => /unrolled/.test(n.message)));
    assert.ok(ir.notes.some((n) => /nested too deeply/.test(n.message)));
  });
});

describe('extract: code that instantiates itself', () => {
  it('a class whose field creates the class again (a half-typed edit) stops at the nesting limit', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
export class Gan {
  net = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  again = new Gan();
}
export const gan = new Gan();`);
    assert.ok(!ir.notes.some((n) => /internal error/.test(n.message)), JSON.stringify(ir.notes));
    assert.ok(ir.notes.some((n) => /nested too deeply/.test(n.message)));
    assert.ok(ir.models.length >= 1);
  });
});
