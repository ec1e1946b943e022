import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import type { BlockNode } from '../../src/ir/model-ir';
import { layersOf, lineOf, model } from './helpers';

/** A residual layer class body: x + d2(d1(x)), with an inverse. */
const RESIDUAL_BODY = `{
  constructor(cfg) {
    super(cfg);
    this.d1 = tf.layers.dense({ units: 8, activation: 'elu' });
    this.d2 = tf.layers.dense({ units: 4 });
  }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.add(x, this.d2.apply(this.d1.apply(x)));
  }
  inverse(y) {
    return y;
  }
}`;

function checkResidualClass(src: string, file: string, name: string, nameLine: string): void {
  const ir = extractSource(src, file);
  const info = ir.customLayers.find((c) => c.className === name);
  assert.ok(info, `no class '${name}' in ${ir.customLayers.map((c) => c.className).join(', ')}`);
  assert.equal(info.wiring, 'residual');
  assert.equal(info.hasInverse, true);
  assert.equal(info.range.start.line, lineOf(src, nameLine));
  // Nothing instantiates it in a model: it is linted as a model of its own, invertible.
  const m = model(ir, name);
  assert.equal(m.api, 'custom-layer');
  assert.equal(m.intent.kind, 'invertible');
  const [b] = m.body.children as BlockNode[];
  assert.equal(b!.wiring, 'residual');
  assert.deepEqual(
    layersOf(m.body).map((l) => l.layerType),
    ['dense', 'dense'],
  );
}

describe('extract: class expressions are read like class declarations', () => {
  it('const X = class extends tf.layers.Layer (TS)', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const IResBlock = class extends tf.layers.Layer ${RESIDUAL_BODY};
export const blocks = [0, 1].map(() => new IResBlock({}));`;
    checkResidualClass(src, 'blocks.ts', 'IResBlock', 'const IResBlock =');
  });

  it('export const X = class (JS)', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export const Res = class extends tf.layers.Layer ${RESIDUAL_BODY};`;
    checkResidualClass(src, 'res.js', 'Res', 'export const Res =');
  });

  it('let X; X = class ... (assigned later)', () => {
    const src = `const tf = require('@tensorflow/tfjs');
let Res;
Res = class extends tf.layers.Layer ${RESIDUAL_BODY};
module.exports = { Res };`;
    checkResidualClass(src, 'res.js', 'Res', 'Res = class');
  });

  it('a class expression passed to tf.serialization.registerClass, named by its own name', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
tf.serialization.registerClass(class Res extends tf.layers.Layer ${RESIDUAL_BODY});`;
    checkResidualClass(src, 'res.ts', 'Res', 'registerClass(class Res');
  });

  it('an anonymous class expression named by its static className', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
tf.serialization.registerClass(class extends tf.layers.Layer {
  static className = 'Res';
  constructor(cfg) {
    super(cfg);
    this.d1 = tf.layers.dense({ units: 8, activation: 'elu' });
    this.d2 = tf.layers.dense({ units: 4 });
  }
  call(x) {
    return tf.add(x, this.d2.apply(this.d1.apply(x)));
  }
  inverse(y) {
    return y;
  }
});`;
    checkResidualClass(src, 'res.ts', 'Res', "static className = 'Res'");
  });

  it('a class expression used in a model is its instance there, not a model of its own', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const Res = class extends tf.layers.Layer ${RESIDUAL_BODY};
/** @invertible */
export const net = tf.sequential({ layers: [new Res({}), new Res({})] });`;
    const ir = extractSource(src);
    assert.deepEqual(
      ir.models.map((m) => m.name),
      ['net'],
    );
    const blocks = model(ir, 'net').body.children as BlockNode[];
    assert.deepEqual(
      blocks.map((b) => [b.wiring, b.instance?.customClass]),
      [
        ['residual', 'Res'],
        ['residual', 'Res'],
      ],
    );
  });

  it('a plain class expression with forward/inverse is a hand-written transform (JS)', () => {
    const src = `const tf = require('@tensorflow/tfjs');
const Coupling = class {
  constructor() {
    this.net = tf.layers.dense({ units: 4 });
  }
  forward(x) {
    const [x1, x2] = tf.split(x, 2, -1);
    const [h, t] = tf.split(this.net.apply(x1), 2, -1);
    return tf.concat([x1, x2.mul(tf.exp(h)).add(t)], -1);
  }
  inverse(y) {
    return y;
  }
};
module.exports = { Coupling };`;
    const ir = extractSource(src, 'coupling.js');
    const info = ir.customLayers.find((c) => c.className === 'Coupling');
    assert.equal(info?.wiring, 'affine-coupling');
    assert.equal(info?.scale, 'exp');
    const [b] = model(ir, 'Coupling').body.children as BlockNode[];
    assert.equal(b!.wiring, 'affine-coupling');
    assert.deepEqual(
      layersOf(b!).map((l) => l.layerType),
      ['dense'],
    );
  });

  it('methods of a plain class expression name their models after the bound name', () => {
    const src = `const Agent = class {
  constructor() {
    this.policy = tf.sequential({ layers: [tf.layers.dense({ units: 4 })] });
  }
};
const a = new Agent();`;
    const ir = extractSource(src, 'agent.js');
    assert.equal(layersOf(model(ir, 'Agent.policy').body).length, 1);
    assert.deepEqual(ir.customLayers, []);
  });

  it('does not take class expressions inside functions as the file’s classes (they run with the function)', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export function make() {
  return class extends tf.layers.Layer ${RESIDUAL_BODY};
}`;
    const ir = extractSource(src);
    assert.deepEqual(
      ir.customLayers.map((c) => c.className),
      [],
    );
  });
});
