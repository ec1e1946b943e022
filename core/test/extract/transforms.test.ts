import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { extractSource, ModelExtractor } from '../../src/extract';
import type { BlockNode, FileIr, IrNode } from '../../src/ir/model-ir';
import { blocksOf, layersOf, lineOf, model } from './helpers';

const cls = (ir: FileIr, name: string) => {
  const info = ir.customLayers.find((c) => c.className === name);
  assert.ok(info, `no class '${name}' in ${ir.customLayers.map((c) => c.className).join(', ')}`);
  return info;
};

/** The instance blocks of a model's body, as [class, wiring]. */
const steps = (nodes: IrNode[]): [string | undefined, string][] =>
  nodes.map((n) =>
    n.kind === 'block'
      ? [n.instance?.customClass, n.wiring]
      : [n.kind === 'layer' ? (n.customClass ?? n.layerType) : n.op, 'leaf'],
  );

/** A RealNVP-style coupling written as a factory of closures; `members` replaces its forward/inverse pair. */
function couplingFactory(members?: string): string {
  return `const tf = require('@tensorflow/tfjs');
function makeCoupling(hidden) {
  const net = tf.sequential({
    layers: [tf.layers.dense({ units: hidden, activation: 'relu' }), tf.layers.dense({ units: 4 })],
  });
  const scaleShift = (x1) => {
    const [h, t] = tf.split(net.apply(x1), 2, -1);
    return { s: tf.exp(h), t };
  };
  return {
${
  members ??
  `    forward: (x) => {
      const [x1, x2] = tf.split(x, 2, -1);
      const { s, t } = scaleShift(x1);
      return tf.concat([x1, x2.mul(s).add(t)], -1);
    },
    inverse: (y) => {
      const [y1, y2] = tf.split(y, 2, -1);
      const { s, t } = scaleShift(y1);
      return tf.concat([y1, y2.sub(t).div(s)], -1);
    },`
}
  };
}
module.exports = { makeCoupling };`;
}

describe('extract: transforms written as object literals', () => {
  it('reads a factory returning { forward, inverse } arrow closures as a coupling over the net it closes over (JS)', () => {
    const src = couplingFactory();
    const ir = extractSource(src, 'coupling.js');
    const info = cls(ir, 'makeCoupling');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'exp');
    assert.equal(info.hasInverse, true);
    assert.equal(info.range.start.line, lineOf(src, 'function makeCoupling'));
    assert.equal(info.scaleAnchor?.start.line, lineOf(src, 's: tf.exp(h)'));
    // Nothing uses it: a model of its own, invertible; the conditioner is the coupling's, not a model.
    assert.deepEqual(
      ir.models.map((m) => m.name),
      ['makeCoupling'],
    );
    const m = model(ir, 'makeCoupling');
    assert.equal(m.intent.kind, 'invertible');
    const [b] = m.body.children as BlockNode[];
    assert.equal(b!.wiring, 'affine-coupling');
    assert.equal(b!.instance?.origin, 'custom');
    assert.equal(b!.instance?.customClass, 'makeCoupling');
    assert.deepEqual(
      layersOf(b!).map((l) => l.config.units),
      [{ kind: 'unknown', text: 'hidden', reason: 'argument not given' }, 4],
    );
    assert.deepEqual(ir.looseLayers, []);
  });

  it('reads method shorthand, this.<field> layers and computed keys (TS)', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
const FWD = 'forward';
const names = { inv: 'inverse' } as const;
export const shift = {
  net: tf.layers.dense({ units: 4 }),
  [FWD](x: tf.Tensor): tf.Tensor {
    return tf.add(x, this.net.apply(x) as tf.Tensor);
  },
  [names.inv](y: tf.Tensor): tf.Tensor {
    return y;
  },
};`;
    const ir = extractSource(src);
    const info = cls(ir, 'shift');
    assert.equal(info.wiring, 'residual');
    const m = model(ir, 'shift');
    assert.equal(m.exportName, 'shift');
    const [b] = m.body.children as BlockNode[];
    assert.equal(b!.wiring, 'residual');
    assert.deepEqual(
      layersOf(b!).map((l) => l.layerType),
      ['dense'],
    );
  });

  it('reads the activation of a net the factory built (exp of a tanh-ended net is bounded)', () => {
    const src = `const tf = require('@tensorflow/tfjs');
function makeC() {
  const net = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'tanh' })] });
  return {
    forward(x) {
      const [x1, x2] = tf.split(x, 2, -1);
      return tf.concat([x1, x2.mul(tf.exp(net.apply(x1)))], -1);
    },
    inverse(y) { return y; },
  };
}`;
    const info = cls(extractSource(src, 'c.js'), 'makeC');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'bounded-tanh');
  });

  it("reads this.<field> of an object literal's methods: a tf.variable is a learned weight", () => {
    const src = `const tf = require('@tensorflow/tfjs');
function makeActNorm(d) {
  return {
    logs: tf.variable(tf.zeros([d])),
    forward(x) { return x.mul(tf.exp(this.logs)); },
    inverse(y) { return y.div(tf.exp(this.logs)); },
  };
}`;
    const info = cls(extractSource(src, 'actnorm.js'), 'makeActNorm');
    assert.equal(info.scale, 'learned-param');
    assert.deepEqual(
      info.learnedScales?.map((r) => r.start.line),
      [lineOf(src, 'forward(x)')],
    );
  });

  for (const [out, inv] of [
    ['call', 'inverse'],
    ['forward', 'backward'],
    ['forward', 'reverse'],
  ])
    it(`takes ${out}/${inv} as the output and inverse functions`, () => {
      const members = `    ${out}: (x) => {
      const [x1, x2] = tf.split(x, 2, -1);
      const { s, t } = scaleShift(x1);
      return tf.concat([x1, x2.mul(s).add(t)], -1);
    },
    ${inv}: (y) => y,`;
      const ir = extractSource(couplingFactory(members), 'coupling.js');
      assert.equal(cls(ir, 'makeCoupling').wiring, 'affine-coupling');
    });

  it('is not a transform without an inverse, or when forward is not a function', () => {
    for (const members of [
      `    forward: (x) => scaleShift(x).s.mul(x),`,
      `    forward: (x) => scaleShift(x).s.mul(x), predict: (y) => y,`,
      `    forward: 'scale', inverse: 'unscale',`,
    ]) {
      const ir = extractSource(couplingFactory(members), 'coupling.js');
      assert.deepEqual(ir.customLayers, [], members);
      // The conditioner is still seen, as a model of its own.
      assert.equal(layersOf(model(ir, 'net').body).length, 2);
    }
  });

  it('is not a transform when backward() takes a gradient (backpropagation written by hand), object or class', () => {
    const src = `const tf = require('@tensorflow/tfjs');
function makeDense(nIn, nOut) {
  const W = tf.variable(tf.randomNormal([nIn, nOut]));
  return {
    forward(x) { this.x = x; return tf.relu(x.matMul(W)); },
    backward(dy) { return dy.matMul(W.transpose()); },
  };
}
class Relu {
  forward(x) { return tf.relu(x); }
  backward(gradOutput) { return gradOutput; }
}
const net = [makeDense(4, 8), makeDense(8, 2)];
module.exports = { Relu, net };`;
    const ir = extractSource(src, 'manual.js');
    assert.deepEqual(
      ir.customLayers.map((c) => [c.className, c.hasInverse]),
      [['Relu', false]],
    );
    assert.ok(!ir.models.some((m) => m.api === 'flow'));
  });

  it('keeps a transform whose wiring is not known as an instance carrying its layers, never guessed', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
declare const opaque: (x: tf.Tensor, l: tf.layers.Layer) => tf.Tensor;
export function makeStep() {
  const d = tf.layers.dense({ units: 4 });
  return { forward: (x: tf.Tensor) => opaque(x, d), inverse: (y: tf.Tensor) => y };
}`;
    const ir = extractSource(src);
    const info = cls(ir, 'makeStep');
    assert.equal(info.wiring, undefined);
    const [b] = model(ir, 'makeStep').body.children as BlockNode[];
    assert.equal(b!.wiring, 'graph');
    assert.deepEqual(
      layersOf(b!).map((l) => l.layerType),
      ['dense'],
    );
  });

  it('gives two transform kinds written under one name distinct class names', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
export function make(kind: string) {
  if (kind === 'a') return { forward: (x: tf.Tensor) => tf.neg(x), inverse: (y: tf.Tensor) => tf.neg(y) };
  return { forward: (x: tf.Tensor) => tf.reverse(x, -1), inverse: (y: tf.Tensor) => tf.reverse(y, -1) };
}`;
    const ir = extractSource(src);
    const names = ir.customLayers.map((c) => c.className);
    assert.equal(names.length, 2);
    assert.equal(new Set(names).size, 2);
    assert.equal(names[0], 'make');
  });
});

describe('extract: flows built from transform objects', () => {
  const leaky = `function makeLeaky(alpha = 0.2) {
  const act = tf.layers.leakyReLU({ alpha });
  return {
    forward: (x) => ({ y: act.apply(x), logDet: tf.sum(tf.log(tf.where(x.greaterEqual(0), 1, alpha))) }),
    inverse: (y) => tf.where(y.greaterEqual(0), y, y.div(alpha)),
  };
}`;

  it('reads a list filled in a loop inside Promise.all(...).then(...) as a flow named after the list', () => {
    const src = `${couplingFactory().replace('module.exports = { makeCoupling };', '')}
${leaky}
const ready = Promise.all([tf.ready()]).then(() => {
  const steps = [];
  for (let i = 0; i < 3; i++) {
    steps.push(makeCoupling(16));
    if (i < 2) steps.push(makeLeaky());
  }
  return { steps };
});`;
    const ir = extractSource(src, 'flow.js');
    const flow = model(ir, 'steps');
    assert.equal(flow.api, 'flow');
    assert.equal(flow.intent.kind, 'invertible');
    assert.deepEqual(steps(flow.body.children), [
      ['makeCoupling', 'affine-coupling'],
      ['makeLeaky', 'sequence'],
      ['makeCoupling', 'affine-coupling'],
      ['makeLeaky', 'sequence'],
      ['makeCoupling', 'affine-coupling'],
    ]);
    // The leaky step's forward was traced: its layer is the step's body.
    const leakyStep = flow.body.children[1] as BlockNode;
    assert.deepEqual(
      leakyStep.children.map((c) => c.kind === 'layer' && c.layerType),
      ['leakyReLU'],
    );
    // Every kind is used by the flow: no models of their own.
    assert.deepEqual(
      ir.models.map((m) => m.name),
      ['steps'],
    );
  });

  it('reads an array literal and a map() over a constant list as flows (TS)', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
function flip(axis: number) {
  return { forward: (x: tf.Tensor) => tf.reverse(x, axis), inverse: (y: tf.Tensor) => tf.reverse(y, axis) };
}
export const pair = [flip(0), flip(1)];
export const many = [0, 1, 2].map((a) => flip(a));`;
    const ir = extractSource(src);
    assert.equal(model(ir, 'pair').body.children.length, 2);
    assert.equal(model(ir, 'pair').exportName, 'pair');
    assert.equal(model(ir, 'many').body.children.length, 3);
    assert.equal(model(ir, 'many').api, 'flow');
  });

  it('a step chosen in a switch on an unknown value is a choice of the transforms it may be', () => {
    const src = `${couplingFactory().replace('module.exports = { makeCoupling };', '')}
function makeStep(kind) {
  switch (kind) {
    case 'affine':
      return makeCoupling(16);
    default:
      return { forward: (x) => tf.reverse(x, -1), inverse: (y) => tf.reverse(y, -1) };
  }
}
function build(opts) {
  const steps = [makeStep(opts.kind), makeStep('affine')];
  return {
    forward: (x) => steps.reduce((h, s) => s.forward(h), x),
    inverse: (z) => steps.reduceRight((h, s) => s.inverse(h), z),
  };
}`;
    const ir = extractSource(src, 'flow.js');
    const [composite] = model(ir, 'build').body.children as BlockNode[];
    const [choice, second] = composite!.children as BlockNode[];
    assert.equal(choice!.wiring, 'choice');
    assert.deepEqual(steps(choice!.children), [
      ['makeCoupling', 'affine-coupling'],
      ['makeStep', 'sequence'],
    ]);
    assert.deepEqual(steps([second!]), [['makeCoupling', 'affine-coupling']]);
  });

  it('traces a composite transform whose forward chains its steps with reduce()', () => {
    const src = `${couplingFactory().replace('module.exports = { makeCoupling };', '')}
function makeFlow(n) {
  const stages = Array.from({ length: n }, () => makeCoupling(8));
  const bn = tf.layers.batchNormalization({});
  return {
    forward: (x) => bn.apply(stages.reduce((h, s) => s.forward(h), x)),
    inverse: (z) => stages.reduceRight((h, s) => s.inverse(h), z),
  };
}
const flow = makeFlow(3);`;
    const ir = extractSource(src, 'flow.js');
    const m = model(ir, 'makeFlow');
    assert.equal(m.intent.kind, 'invertible');
    const [composite] = m.body.children as BlockNode[];
    assert.equal(composite!.instance?.customClass, 'makeFlow');
    assert.deepEqual(steps(composite!.children), [
      ['makeCoupling', 'affine-coupling'],
      ['makeCoupling', 'affine-coupling'],
      ['makeCoupling', 'affine-coupling'],
      ['batchNormalization', 'leaf'],
    ]);
    // The couplings' list is the composite's, not a second flow; the couplings are linted inside it.
    assert.deepEqual(
      ir.models.map((x) => x.name),
      ['makeFlow'],
    );
  });
});

describe('extract: transforms from another file', () => {
  it('a flow of transform objects made by a factory in another file: instances reached through the call', () => {
    const root = mkdtempSync(join(tmpdir(), 'lens-transforms-'));
    try {
      writeFileSync(join(root, 'coupling.js'), couplingFactory());
      const main = `const tf = require('@tensorflow/tfjs');
const { makeCoupling } = require('./coupling');
const steps = [makeCoupling(8), makeCoupling(8), tf.layers.batchNormalization({})];`;
      writeFileSync(join(root, 'flow.js'), main);
      const ir = new ModelExtractor({ rootDir: root }).extractFile('flow.js');
      // The kind is the other file's class: not listed here, and no model of its own here.
      assert.deepEqual(ir.customLayers, []);
      const flow = model(ir, 'steps');
      assert.deepEqual(
        ir.models.map((m) => m.name),
        ['steps'],
      );
      assert.equal(flow.intent.kind, 'invertible');
      const [first] = flow.body.children as BlockNode[];
      assert.equal(first!.wiring, 'affine-coupling');
      assert.equal(first!.instance?.customClassFile, join(root, 'coupling.js'));
      assert.equal(first!.instance?.via?.start.line, lineOf(main, 'const steps'));
      assert.equal(first!.anchor?.file, join(root, 'coupling.js'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('extract: module-level function pairs', () => {
  const pair = `import * as tf from '@tensorflow/tfjs';
interface Made {
  hidden: (x: tf.Tensor) => tf.Tensor;
  mean: (h: tf.Tensor) => tf.Tensor;
  logs: (h: tf.Tensor) => tf.Tensor;
}
function params(made: Made, x: tf.Tensor) {
  const h = made.hidden(x);
  const mu = made.mean(h);
  const scale = tf.exp(made.logs(h));
  return { mu, scale };
}
export function stepForward(made: Made, x: tf.Tensor) {
  const { mu, scale } = params(made, x);
  return { u: x.sub(mu).mul(scale), logdet: tf.sum(tf.log(scale)) };
}
export function stepInverse(made: Made, u: tf.Tensor) {
  const { mu, scale } = params(made, u);
  return u.div(scale).add(mu);
}`;

  it('reads the pair as an affine transform of its data parameter, even when nothing calls it', () => {
    const ir = extractSource(pair);
    const info = cls(ir, 'step');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'exp');
    assert.equal(info.scaleAnchor?.start.line, lineOf(pair, 'tf.exp(made.logs(h))'));
    assert.equal(model(ir, 'step').intent.kind, 'invertible');
  });

  it('a call with data is an instance, whose parameters carry its layers, inside the flow that calls it', () => {
    const src = `${pair}
export function createFlow() {
  const stages = [0, 1].map(() => ({
    made: {
      hidden: (x: tf.Tensor) => tf.relu(x),
      mean: (h: tf.Tensor) => h.mul(0.5),
      logs: (h: tf.Tensor) => h.mul(0.1),
    },
    norm: tf.layers.batchNormalization({}),
  }));
  return {
    stages,
    forward(x: tf.Tensor) {
      let u = x;
      for (const s of stages) u = s.norm.apply(stepForward(s.made, u).u) as tf.Tensor;
      return { u };
    },
    inverse(u: tf.Tensor) {
      return stages.reduceRight((z, s) => stepInverse(s.made, z), u);
    },
  };
}`;
    const ir = extractSource(src);
    const [composite] = model(ir, 'createFlow').body.children as BlockNode[];
    assert.deepEqual(steps(composite!.children), [
      ['step', 'affine-coupling'],
      ['batchNormalization', 'leaf'],
      ['step', 'affine-coupling'],
      ['batchNormalization', 'leaf'],
    ]);
    const first = composite!.children[0] as BlockNode;
    assert.equal(first.instance?.range.start.line, lineOf(src, 'stepForward(s.made, u)'));
    assert.deepEqual(first.children, []);
    assert.equal(first.anchor?.start.line, lineOf(src, 'tf.exp(made.logs(h))'));
    assert.deepEqual(
      ir.models.map((m) => m.name),
      ['createFlow'],
    );
  });

  it('forwardPass/backwardPass and a forward without its inverse are not pairs', () => {
    const src = `const tf = require('@tensorflow/tfjs');
function forwardPass(w, x) { return tf.exp(x.matMul(w)); }
function backwardPass(w, dy) { return dy; }
function blockForward(w, x) { return x.mul(tf.exp(w)); }
module.exports = { forwardPass, backwardPass, blockForward };`;
    const ir = extractSource(src, 'manual.js');
    assert.deepEqual(ir.customLayers, []);
    assert.deepEqual(ir.models, []);
  });
});

describe('extract: transforms are read without throwing or hanging', () => {
  it('a transform whose forward calls itself, and a factory that makes itself, stop at the depth limit', () => {
    const src = `const tf = require('@tensorflow/tfjs');
const loop = { forward(x) { return this.forward(x); }, inverse(y) { return y; } };
function grow(n) {
  const next = grow(n + 1);
  return { forward: (x) => next.forward(x), inverse: (y) => y };
}
grow(0);`;
    const ir = extractSource(src, 'loop.js');
    assert.ok(ir.customLayers.some((c) => c.className === 'loop'));
    assert.ok(ir.notes.some((n) => /nested too deeply/.test(n.message)));
  });

  it('many transform objects in one file stay within the step budget', () => {
    const lines = Array.from(
      { length: 400 },
      (_, i) => `steps.push({ forward: (x) => tf.mul(x, ${i + 1}), inverse: (y) => tf.div(y, ${i + 1}) });`,
    );
    const src = `const tf = require('@tensorflow/tfjs');\nconst steps = [];\n${lines.join('\n')}`;
    const t0 = Date.now();
    const ir = extractSource(src, 'many.js');
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(model(ir, 'steps').body.children.length, 400);
    assert.ok(blocksOf(model(ir, 'steps').body).length >= 1);
  });
});

describe('extract: output functions returning { y, logDet }', () => {
  it('a hand-written class whose forward returns { y, logDet } is traced to the layers computing y', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
class BatchNormBijector {
  private bn = tf.layers.batchNormalization({});
  forward(x: tf.Tensor, training: boolean) {
    const y = this.bn.apply(x, { training }) as tf.Tensor;
    return { y, logDet: tf.sum(tf.log(tf.abs(this.bn.getWeights()[0]!))) };
  }
  inverse(y: tf.Tensor) {
    return y;
  }
}`;
    const ir = extractSource(src);
    const [b] = model(ir, 'BatchNormBijector').body.children as BlockNode[];
    assert.equal(b!.wiring, 'sequence', 'traced, not an unknown graph');
    assert.deepEqual(
      b!.children.map((c) => c.kind === 'layer' && c.layerType),
      ['batchNormalization'],
    );
  });

  it('a result whose output is only log-det terms, or not computed from the input, is not a traced body', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
class Odd {
  private bn = tf.layers.batchNormalization({});
  forward(x: tf.Tensor) {
    return { logDet: this.bn.apply(x) as tf.Tensor, other: tf.zeros([1]) };
  }
  inverse(y: tf.Tensor) {
    return y;
  }
}`;
    const [b] = model(extractSource(src), 'Odd').body.children as BlockNode[];
    assert.equal(b!.wiring, 'graph');
  });
});

describe('transform objects in a Flow', () => {
  it('are its steps, like layers', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
import { Flow } from 'lipschitz-lens';
function coupling(d) {
  const net = tf.layers.dense({ units: d });
  return {
    forward(x) { const [a, b] = tf.split(x, 2, -1); return tf.concat([a, b.mul(net.apply(a).exp())], -1); },
    inverse(y) { return y; },
  };
}
export const flow = new Flow({ layers: [coupling(4), coupling(4)] });`);
    const flow = ir.models.find((m) => m.name === 'flow')!;
    assert.equal(flow.intent.kind, 'invertible');
    assert.deepEqual(
      flow.body.children.map((c) => (c.kind === 'block' ? c.wiring : c.kind)),
      ['affine-coupling', 'affine-coupling'],
    );
  });
});
