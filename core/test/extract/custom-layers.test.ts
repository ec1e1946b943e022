import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import type { BlockNode, ScaleForm } from '../../src/ir/model-ir';
import { lineOf, model } from './helpers';

/** A coupling class whose call() forms the scale with `scaleExpr` (in terms of h) and multiplies x2 by it. */
function coupling(scaleExpr: string, mul = 'tf.mul(x2, s)'): string {
  return `import * as tf from '@tensorflow/tfjs';
const eps = 1e-3;
class C extends tf.layers.Layer {
  net = tf.layers.dense({ units: 2 });
  call(inputs: tf.Tensor | tf.Tensor[]) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [x1, x2] = tf.split(x, 2, -1);
    const h = this.net.apply(x1) as tf.Tensor;
    const s = ${scaleExpr};
    return tf.concat([x1, tf.add(${mul}, h)], -1);
  }
}
export const m = tf.sequential({ layers: [new C({})] });`;
}

describe('extract: hand-written couplings', () => {
  const cases: [string, ScaleForm][] = [
    ['tf.exp(h)', 'exp'],
    ['h.exp()', 'exp'],
    ['tf.sigmoid(h)', 'sigmoid'],
    ['tf.softplus(h)', 'softplus'],
    ['tf.exp(tf.mul(Math.log(2), tf.tanh(h)))', 'bounded-tanh'],
    ['tf.tanh(h).mul(Math.log(3)).exp()', 'bounded-tanh'],
    ['tf.add(tf.mul(tf.sigmoid(tf.add(h, 2)), 1 - eps), eps)', 'sigmoid-floor'],
    ['tf.sigmoid(h).add(eps)', 'sigmoid-floor'],
    ['h', 'identity'],
    ['this.scaleOf(h)', 'unknown'],
  ];
  for (const [expr, form] of cases) {
    it(`reads s = ${expr} as '${form}'`, () => {
      const src = coupling(expr);
      const ir = extractSource(src);
      const [b] = model(ir, 'm').body.children as BlockNode[];
      assert.equal(b!.wiring, 'affine-coupling');
      assert.equal(b!.scale, form);
      assert.equal(b!.instance?.customClass, 'C');
      assert.deepEqual(
        b!.children.map((c) => c.kind === 'layer' && c.layerType),
        ['dense'],
      );
      assert.equal(model(ir, 'm').intent.kind === 'invertible', true);
      if (form !== 'unknown' && form !== 'identity')
        assert.equal(b!.anchor?.start.line, lineOf(src, 'const s ='));
      const info = ir.customLayers[0]!;
      assert.equal(info.wiring, 'affine-coupling');
      assert.equal(info.splitsInput, true);
    });
  }

  it('reads x2.mul(s) written as a method', () => {
    const ir = extractSource(coupling('tf.exp(h)', 'x2.mul(s)'));
    assert.equal((model(ir, 'm').body.children[0] as BlockNode).scale, 'exp');
  });

  it('reads an additive coupling (x2 + t(x1))', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
class Add extends tf.layers.Layer {
  t = tf.layers.dense({ units: 2 });
  call(x: tf.Tensor) {
    const [x1, x2] = tf.split(x, 2, -1);
    return tf.concat([x1, x2.add(this.t.apply(x1) as tf.Tensor)], -1);
  }
  inverse(y: tf.Tensor) { return y; }
}
const f = tf.sequential({ layers: [new Add({}), new Add({})] });`);
    const kids = model(ir, 'f').body.children as BlockNode[];
    assert.deepEqual(
      kids.map((k) => k.wiring),
      ['additive-coupling', 'additive-coupling'],
    );
    assert.notEqual(
      kids[0]!.children[0]!.id,
      kids[1]!.children[0]!.id,
      'each instance gets its own node ids',
    );
    assert.equal(ir.customLayers[0]!.hasInverse, true);
  });
});

describe('extract: custom layer info', () => {
  it('records ops, residual adds, addWeight, inverse and invertibility claims', () => {
    const src = `import * as tf from '@tensorflow/tfjs';
import { Invertible } from 'lipschitz-lens';
/** A residual layer. */
class Res extends tf.layers.Layer implements Invertible {
  w!: tf.LayerVariable;
  build() { this.w = this.addWeight('w', [4, 4], 'float32'); }
  call(inputs: tf.Tensor) {
    return tf.tidy(() => tf.add(inputs, tf.relu(tf.matMul(inputs, this.w.read()))));
  }
}
/** @invertible */
class Plain extends tf.layers.Layer {
  call(x: tf.Tensor) { return this.act(x); }
  act(x: tf.Tensor) { return tf.softplus(x).div(2); }
}
class NotALayer { call() { return 1; } }
export const m = tf.sequential({ layers: [new Res({}), new Plain({})] });`;
    const ir = extractSource(src);
    const res = ir.customLayers.find((c) => c.className === 'Res')!;
    assert.deepEqual(
      res.ops.map((o) => o.op),
      ['add', 'relu', 'matMul'],
    );
    assert.equal(res.addsInput, true);
    assert.equal(res.weighted, true);
    assert.equal(res.hasInverse, false);
    assert.equal(res.claimsInvertible, true);
    assert.equal(res.wiring, 'residual');
    assert.deepEqual(res.range.start, { line: lineOf(src, 'class Res'), character: 6 });
    const plain = ir.customLayers.find((c) => c.className === 'Plain')!;
    assert.deepEqual(
      plain.ops.map((o) => o.op).sort(),
      ['div', 'softplus'],
      'ops of methods call() uses count',
    );
    assert.equal(plain.claimsInvertible, true);
    assert.equal(plain.addsInput, false);
    assert.equal(ir.customLayers.length, 2, 'a class that is not a layer is not a custom layer');
    const [r, p] = model(ir, 'm').body.children;
    assert.ok(r?.kind === 'block' && r.wiring === 'residual' && r.instance?.customClass === 'Res');
    assert.ok(p?.kind === 'layer' && p.origin === 'custom' && p.customClass === 'Plain');
    assert.equal(model(ir, 'm').intent.kind === 'invertible', true, 'Plain claims to be invertible');
  });

  it('turns a layer class no model uses into a custom-layer model', () => {
    const ir = extractSource(`import * as tf from '@tensorflow/tfjs';
/** @lipschitz */
export class Critic extends tf.layers.Layer {
  d = tf.layers.dense({ units: 1 });
  call(x: tf.Tensor) { return this.d.apply(x) as tf.Tensor; }
}`);
    const m = model(ir, 'Critic');
    assert.equal(m.api, 'custom-layer');
    assert.equal(m.intent.kind === 'lipschitz', true);
    assert.equal(m.exportName, 'Critic');
    assert.deepEqual(ir.looseLayers, []);
    assert.equal(ir.customLayers[0]!.layers!.length, 1);
    const [b] = m.body.children;
    // call() is d(x): traced on a symbolic input to a sequence of its one layer.
    assert.ok(b?.kind === 'block' && b.wiring === 'sequence' && b.instance?.customClass === 'Critic');
    assert.equal(b.children.length, 1, 'the inner layers of the class are its children');
  });
});
