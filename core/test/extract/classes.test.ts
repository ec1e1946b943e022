import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import { layersOf, lineOf, model } from './helpers';

const units = (m: ReturnType<typeof model>): unknown[] => layersOf(m.body).map((l) => l.config.units);

describe('extract: models and layers held by plain classes', () => {
  it('reads a model built in a method called by the constructor, named after the class and field (JS)', () => {
    const src = `class PolicyNetwork {
  constructor(hiddenLayerSizesOrModel) {
    if (hiddenLayerSizesOrModel instanceof tf.LayersModel) {
      this.policyNet = hiddenLayerSizesOrModel;
    } else {
      this.createPolicyNetwork(hiddenLayerSizesOrModel);
    }
  }
  createPolicyNetwork(hiddenLayerSizes) {
    if (!Array.isArray(hiddenLayerSizes)) hiddenLayerSizes = [hiddenLayerSizes];
    this.policyNet = tf.sequential();
    hiddenLayerSizes.forEach((size, i) => {
      this.policyNet.add(tf.layers.dense({ units: size, inputShape: i === 0 ? [4] : undefined }));
    });
    this.policyNet.add(tf.layers.dense({ units: 1 }));
  }
}
const policy = new PolicyNetwork([16, 8]);`;
    const m = model(extractSource(src, 'policy.js'), 'PolicyNetwork.policyNet');
    assert.equal(m.api, 'sequential');
    assert.deepEqual(units(m), [16, 8, 1]);
    assert.equal(m.range.start.line, lineOf(src, 'this.policyNet = tf.sequential()'));
  });

  it('reads the same class with unknown constructor arguments when the file never instantiates it', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export class PolicyNetwork {
  private policyNet!: tf.Sequential;
  constructor(sizes: number | number[]) {
    this.build(Array.isArray(sizes) ? sizes : [sizes]);
  }
  private build(sizes: number[]) {
    this.policyNet = tf.sequential();
    for (const s of sizes) this.policyNet.add(tf.layers.dense({ units: s }));
    this.policyNet.add(tf.layers.dense({ units: 1 }));
  }
}`;
    const ir = extractSource(src);
    const m = model(ir, 'PolicyNetwork.policyNet');
    assert.equal(layersOf(m.body).length, 2, 'the loop body once (list unknown), then the head');
    assert.equal(units(m)[1], 1);
    assert.deepEqual(ir.looseLayers, []);
  });

  it('reads a model assigned to a field in a later method, and a field initialiser', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
class Trainer {
  encoder = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 100, outputDim: 8 })] });
  model?: tf.Sequential;
  buildModel(hidden = 32) {
    this.model = tf.sequential({ layers: [tf.layers.dense({ units: hidden }), tf.layers.dense({ units: 2 })] });
    this.model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  }
}`;
    const ir = extractSource(src);
    assert.deepEqual(units(model(ir, 'Trainer.model')), [32, 2]);
    const enc = model(ir, 'Trainer.encoder');
    assert.deepEqual(
      layersOf(enc.body).map((l) => l.layerType),
      ['embedding'],
    );
    assert.equal(enc.range.start.line, lineOf(src, 'encoder ='));
  });

  it('keeps layers held in fields and applied in another method, so each is linted', () => {
    const src = `const tf = require('@tensorflow/tfjs');
class TwoLayerNet {
  constructor(hidden) {
    this.dense1 = tf.layers.dense({ units: hidden, activation: 'relu' });
    this.dense2 = tf.layers.dense({ units: 10 });
  }
  predict(x) {
    return this.dense2.apply(this.dense1.apply(x));
  }
}
module.exports = { TwoLayerNet };`;
    const ir = extractSource(src, 'net.js');
    assert.deepEqual(
      ir.looseLayers.map((l) => [l.layerType, l.range.start.line]),
      [
        ['dense', lineOf(src, 'this.dense1 =')],
        ['dense', lineOf(src, 'this.dense2 =')],
      ],
    );
  });

  it('runs the base constructor through super() and reads models the subclass builds from its fields', () => {
    const src = `class Base {
  constructor(units) { this.units = units; }
}
class QNetwork extends Base {
  constructor() {
    super(8);
    this.online = tf.sequential({ layers: [tf.layers.dense({ units: this.units })] });
  }
}
const q = new QNetwork();`;
    assert.deepEqual(units(model(extractSource(src, 'q.js'), 'QNetwork.online')), [8]);
  });

  it('reads methods of object literals with the object as this', () => {
    const src = `const app = {
  hidden: 12,
  build() {
    return tf.sequential({ layers: [tf.layers.dense({ units: this.hidden })] });
  },
};`;
    assert.deepEqual(units(model(extractSource(src, 'app.js'), 'build')), [12]);
  });

  it('gives a model built and returned by a class method the qualified method name', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export class Agent {
  createNetwork(): tf.Sequential {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, inputShape: [9, 9, 2] }));
    return m;
  }
}`;
    const m = model(extractSource(src), 'Agent.createNetwork');
    assert.deepEqual(
      layersOf(m.body).map((l) => l.layerType),
      ['conv2d'],
    );
  });
});

describe('extract: hand-written transforms that are not tfjs layers', () => {
  it('reads a class with forward() and inverse() as a coupling, its inner layers as the conditioner', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
class AffineFlow {
  constructor(dim) {
    this.s = tf.sequential({ layers: [tf.layers.dense({ units: dim / 2, activation: 'tanh' })] });
    this.t = tf.layers.dense({ units: 2 });
  }
  forward(x) {
    const [x1, x2] = tf.split(x, 2, -1);
    const s = tf.exp(this.s.apply(x1));
    return tf.concat([x1, tf.add(tf.mul(x2, s), this.t.apply(x1))], -1);
  }
  inverse(y) {
    const [y1, y2] = tf.split(y, 2, -1);
    return tf.concat([y1, tf.div(tf.sub(y2, this.t.apply(y1)), tf.exp(this.s.apply(y1)))], -1);
  }
}`;
    const ir = extractSource(src, 'flow.js');
    const info = ir.customLayers.find((c) => c.className === 'AffineFlow');
    assert.ok(info);
    assert.equal(info.hasInverse, true);
    assert.equal(info.splitsInput, true);
    assert.equal(info.wiring, 'affine-coupling');
    assert.deepEqual(
      info.layers!.map((l) => l.range.start.line),
      [lineOf(src, 'this.s ='), lineOf(src, 'this.t =')],
    );
    const m = model(ir, 'AffineFlow');
    assert.equal(m.api, 'custom-layer');
    assert.deepEqual(ir.looseLayers, []);
  });

  it('reads a TypeScript block with forward() that adds its input as a residual layer', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export class ResBlock {
  private g = tf.layers.dense({ units: 4 });
  forward(x: tf.Tensor): tf.Tensor {
    return tf.add(x, this.g.apply(x) as tf.Tensor);
  }
}
export const blocks = [new ResBlock(), new ResBlock()];`;
    const ir = extractSource(src);
    const info = ir.customLayers.find((c) => c.className === 'ResBlock');
    assert.equal(info?.wiring, 'residual');
    assert.equal(info.layers!.length, 1);
  });

  it('takes backward() or reverse() as the inverse of a hand-written flow', () => {
    const ir = extractSource(
      `class Shift { forward(x) { return x.add(1); } backward(z) { return z.sub(1); } }
class Flip { forward(x) { return x.reverse(); } reverse(z) { return z.reverse(); } }`,
      'f.js',
    );
    assert.deepEqual(
      ir.customLayers.map((c) => [c.className, c.hasInverse]),
      [
        ['Shift', true],
        ['Flip', true],
      ],
    );
  });

  it('makes sub-networks a layer class builds through helpers its layers, not models of their own', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
function residualNet(inFeatures: number, outFeatures: number) {
  const input = tf.input({ shape: [inFeatures] });
  let h = tf.layers.dense({ units: 16 }).apply(input) as tf.SymbolicTensor;
  const t = tf.layers.dense({ units: 16 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.add().apply([h, t]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: outFeatures }).apply(h) as tf.SymbolicTensor });
}
export class Coupling {
  private net: tf.LayersModel;
  constructor(dim: number) {
    this.net = residualNet(dim / 2, dim);
  }
  forward(x: tf.Tensor) {
    const [x1, x2] = tf.split(x, 2, -1);
    const [s, t] = tf.split(this.net.apply(x1) as tf.Tensor, 2, -1);
    return tf.concat([x1, tf.add(tf.mul(x2, tf.sigmoid(s)), t)], -1);
  }
  inverse(y: tf.Tensor) { return y; }
}`;
    const ir = extractSource(src);
    const info = ir.customLayers.find((c) => c.className === 'Coupling')!;
    assert.deepEqual(
      info.layers!.map((l) => [l.layerType, l.range.start.line]),
      [
        ['dense', lineOf(src, 'let h =')],
        ['dense', lineOf(src, 'const t =')],
        ['dense', lineOf(src, 'return tf.model')],
      ],
    );
    assert.deepEqual(
      ir.models.map((m) => m.name),
      ['Coupling'],
      'residualNet is part of the coupling',
    );
  });

  it('gives a layer class that instantiates another only that instance, not its inner layers', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const mlp = (n) => tf.sequential({ layers: [tf.layers.dense({ units: n }), tf.layers.dense({ units: n })] });
class Block {
  constructor(n) { this.F = mlp(n); this.G = mlp(n); }
  forward(x) { const [a, b] = tf.split(x, 2, 1); const y1 = a.add(this.F.apply(b)); return tf.concat([y1, b.add(this.G.apply(y1))], 1); }
  inverse(y) { return y; }
}
export class Stack {
  constructor(n, depth) { this.blocks = []; for (let i = 0; i < depth; i++) this.blocks.push(new Block(n)); }
  forward(x) { return this.blocks.reduce((h, b) => b.forward(h), x); }
  inverse(y) { return y; }
}`;
    const ir = extractSource(src, 'rev.js');
    const stack = ir.customLayers.find((c) => c.className === 'Stack')!;
    assert.deepEqual(
      stack.layers!.map((l) => l.layerType),
      ['Block'],
    );
    const block = ir.customLayers.find((c) => c.className === 'Block')!;
    assert.equal(block.layers!.length, 2, 'one dense per line of mlp, F and G alike');
  });

  it('traces an output method no wiring rule recognises: residual blocks chained by reduce()', () => {
    const src = `const tf = require('@tensorflow/tfjs');
function branch() {
  return tf.sequential({ layers: [tf.layers.dense({ units: 48, inputShape: [12] }), tf.layers.dense({ units: 12 })] });
}
class ResidualFlow {
  constructor(n) { this.branches = Array.from({ length: n }, () => branch()); }
  forward(x) { return tf.tidy(() => this.branches.reduce((h, g) => h.add(g.apply(h)), x)); }
  inverse(y) { return y; }
}
module.exports = { flow: new ResidualFlow(3) };`;
    const ir = extractSource(src, 'resflow.js');
    const [b] = model(ir, 'ResidualFlow').body.children;
    assert.ok(b?.kind === 'block' && b.instance?.customClass === 'ResidualFlow');
    assert.equal(b.wiring, 'sequence');
    assert.deepEqual(
      b.children.map((c) => c.kind === 'block' && c.wiring),
      ['residual'],
      'the constructor ran with an unknown n: one branch',
    );
    assert.deepEqual(
      layersOf(b).map((l) => l.layerType),
      ['dense', 'dense'],
    );
  });

  it('keeps the flat, graph-wired form when the trace does not use every layer of the class', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
class Net {
  constructor() { this.a = tf.layers.dense({ units: 2 }); this.b = tf.layers.dense({ units: 2 }); }
  forward(x) { return this.pick(x).apply(x); }
}`;
    const [b] = model(extractSource(src, 'net.js'), 'Net').body.children;
    assert.ok(b?.kind === 'block' && b.wiring === 'graph');
    assert.equal(b.children.length, 2);
  });

  it('still treats a plain class without forward() as a plain class', () => {
    const ir = extractSource(
      `class Memory { constructor() { this.items = []; } push(x) { this.items.push(x); } }`,
      'm.js',
    );
    assert.deepEqual(ir.customLayers, []);
    assert.deepEqual(ir.models, []);
  });
});
