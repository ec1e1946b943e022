import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rule as nonLipschitz } from '../../src/rules/non-lipschitz-activation';
import { rule as inverseGain } from '../../src/rules/unbounded-inverse-gain';
import { rule } from '../../src/rules/unbounded-coupling-scale';
import { lint, ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const LENS = "import { AffineCoupling, Flow } from 'lipschitz-lens';";

/** A hand-written coupling whose scale is `scale` (in terms of h = net(x1)), used by an invertible model. */
function customCoupling(scale: string, out = 'tf.mul(x2, s)'): string {
  return [
    TF,
    'export class Coupling extends tf.layers.Layer {',
    '  net = tf.layers.dense({ units: 2 });',
    '  call(x: tf.Tensor): tf.Tensor {',
    '    const [x1, x2] = tf.split(x, 2, -1);',
    `    const s = ${scale};`,
    `    return tf.concat([x1, ${out}], -1);`,
    '  }',
    '  inverse(y: tf.Tensor): tf.Tensor {',
    '    return y;',
    '  }',
    '}',
  ].join('\n');
}

/** The same coupling in plain JS with method chaining; `h` is the conditioner's output. */
function jsCoupling(scale: string, out = 'x2.mul(s).add(h)'): string {
  return [
    TF,
    'const clamp = 2;',
    'export class Coupling extends tf.layers.Layer {',
    '  constructor(config) {',
    '    super(config);',
    '    this.net = tf.layers.dense({ units: 2 });',
    '  }',
    '  call(inputs) {',
    '    const [x1, x2] = tf.split(inputs, 2, -1);',
    '    const h = this.net.apply(x1);',
    `    const s = ${scale};`,
    `    return tf.concat([x1, ${out}], -1);`,
    '  }',
    '}',
  ].join('\n');
}

/** MAF/MADE: a masked net outputs a shift and a log-scale for the whole input. */
const MAF = [
  TF,
  'export class MaskedAffine extends tf.layers.Layer {',
  '  made = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: "relu" }), tf.layers.dense({ units: 8 })] });',
  '  call(inputs) {',
  '    const x = Array.isArray(inputs) ? inputs[0] : inputs;',
  '    const [mu, alpha] = tf.split(this.made.apply(x), 2, -1);',
  '    return tf.mul(tf.sub(x, mu), tf.exp(tf.neg(alpha)));',
  '  }',
  '}',
].join('\n');

/** ActNorm written by hand: (x + b) * exp(logs) with learned b and logs. */
const ACTNORM = [
  TF,
  'export class ActNormish extends tf.layers.Layer {',
  '  build(shape) {',
  "    this.logs = this.addWeight('logs', [shape[1]], 'float32', tf.initializers.zeros());",
  "    this.bias = this.addWeight('bias', [shape[1]], 'float32', tf.initializers.zeros());",
  '  }',
  '  call(x) {',
  '    return tf.mul(tf.add(x, this.bias.read()), tf.exp(this.logs.read()));',
  '  }',
  '  inverse(y) {',
  '    return tf.sub(tf.mul(y, tf.exp(tf.neg(this.logs.read()))), this.bias.read());',
  '  }',
  '}',
].join('\n');

/** NICE's final diagonal scaling, with no inverse() of its own, at the end of a flow. */
const NICE_SCALING = [
  TF,
  LENS.replace('AffineCoupling', 'AdditiveCoupling'),
  'class Scaling extends tf.layers.Layer {',
  '  logScale = tf.variable(tf.zeros([8]));',
  '  call(x) { return x.mul(this.logScale.exp()); }',
  '}',
  'export const nice = new Flow([new AdditiveCoupling({}), new Scaling({})]);',
].join('\n');

/** A learned temperature in a classifier: the same shape, but nothing says it must be inverted. */
const TEMPERATURE = [
  TF,
  'class Temperature extends tf.layers.Layer {',
  "  build() { this.logT = this.addWeight('logT', [1], 'float32'); }",
  '  call(x) { return x.mul(tf.exp(this.logT.read())); }',
  '}',
  'export const classifier = tf.sequential({ layers: [tf.layers.dense({ units: 10 }), new Temperature({})] });',
].join('\n');

/**
 * RealNVP with a binary mask over the whole input, in JS: the masked half passes through with scale 1, the free
 * half is scaled by `s` (in terms of h); `mask` is a module constant.
 */
function maskedFlow(scale: string, out = 'x.mul(s.mul(free).add(mask)).add(t.mul(free))'): string {
  return [
    TF,
    'const mask = tf.tensor1d([1, 0, 1, 0]);',
    'const free = tf.sub(1, mask);',
    'export class MaskedCoupling extends tf.layers.Layer {',
    '  constructor(opts) {',
    '    super(opts);',
    '    this.opts = opts;',
    '    this.net = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4] })] });',
    '  }',
    '  call(x) {',
    '    const [h, t] = tf.split(this.net.apply(x.mul(mask)), 2, -1);',
    `    const s = ${scale};`,
    `    return ${out};`,
    '  }',
    '  inverse(y) {',
    '    return y;',
    '  }',
    '}',
    'export const flow = tf.sequential({ layers: [new MaskedCoupling({})] });',
  ].join('\n');
}

/** A TS coupling whose scale is chosen by if/else; `first` and `second` in terms of h. */
function branchCoupling(first: string, second: string): string {
  return [
    TF,
    'export class Coupling extends tf.layers.Layer {',
    '  net = tf.layers.dense({ units: 4 });',
    '  constructor(private readonly clamp?: number) {',
    '    super({});',
    '  }',
    '  call(x: tf.Tensor): tf.Tensor {',
    '    const [x1, x2] = tf.split(x, 2, -1);',
    '    const [h, t] = tf.split(this.net.apply(x1) as tf.Tensor, 2, -1);',
    '    let s: tf.Tensor;',
    '    if (this.clamp) {',
    `      s = ${first};`,
    '    } else {',
    `      s = ${second};`,
    '    }',
    '    return tf.concat([x1, x2.mul(s).add(t)], -1);',
    '  }',
    '  inverse(y: tf.Tensor): tf.Tensor {',
    '    return y;',
    '  }',
    '}',
  ].join('\n');
}

/** An invertible transform whose scale is the product of two ops of the conditioner's outputs. */
const PRODUCT = [
  TF,
  'export class Gated extends tf.layers.Layer {',
  '  net = tf.layers.dense({ units: 4 });',
  '  gate = tf.layers.dense({ units: 4 });',
  '  call(x: tf.Tensor): tf.Tensor {',
  '    const h = this.net.apply(x) as tf.Tensor;',
  '    return x.mul(tf.exp(h).mul(tf.sigmoid(this.gate.apply(x) as tf.Tensor)));',
  '  }',
  '  inverse(y: tf.Tensor): tf.Tensor {',
  '    return y;',
  '  }',
  '}',
  '/** @invertible */',
  'export const flow = tf.sequential({ layers: [new Gated({})] });',
].join('\n');

ruleTester(rule, {
  valid: [
    {
      code: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'bounded-tanh' })] });",
      ].join('\n'),
    },
    {
      name: 'the default scale is bounded',
      code: [TF, LENS, 'export const f = new Flow({ layers: [new AffineCoupling({})] });'].join('\n'),
    },
    {
      name: 'exp(c * tanh(h / c))',
      code: customCoupling('tf.exp(tf.mul(2, tf.tanh(tf.div(this.net.apply(x1) as tf.Tensor, 2))))'),
    },
    { name: 'exp(tanh(h))', code: customCoupling('tf.exp(tf.tanh(this.net.apply(x1) as tf.Tensor))') },
    {
      name: 'exp(clipByValue(h, -a, b))',
      code: customCoupling('tf.exp(tf.clipByValue(this.net.apply(x1) as tf.Tensor, -2, 3))'),
    },
    { name: 'exp(minimum(maximum(h, a), b))', code: jsCoupling('tf.exp(tf.minimum(tf.maximum(h, -2), 2))') },
    {
      name: 'FrEIA soft clamp: exp(c * 0.636 * atan(h / c))',
      code: jsCoupling('h.div(clamp).atan().mul(clamp * 0.636).exp()'),
    },
    { name: 'sigmoid(h + 2) + eps', code: jsCoupling('tf.sigmoid(h.add(2)).add(1e-3)') },
    { name: 'softplus(h) + eps', code: jsCoupling('tf.add(tf.softplus(h), 1e-3)') },
    {
      name: 'bounded in the chain: h.clipByValue(-3, 3).exp()',
      code: jsCoupling('h.clipByValue(-3, 3).exp()'),
    },
    {
      name: 'the scale computed in a helper method of the class',
      code: jsCoupling('this.scaleOf(h)').replace(
        '  call(inputs) {',
        '  scaleOf(h) { return tf.exp(tf.mul(clamp, tf.tanh(tf.div(h, clamp)))); }\n  call(inputs) {',
      ),
    },
    {
      name: 'a conditioner whose last layer is tanh: exp(h) with h in [-1, 1]',
      code: jsCoupling('tf.exp(h)').replace('{ units: 2 }', "{ units: 2, activation: 'tanh' }"),
    },
    { name: 'a learned temperature in a classifier is not a coupling scale', code: TEMPERATURE },
    {
      name: 'ActNorm by hand: a learned log-scale is unbounded-inverse-gain, not a coupling scale',
      code: ACTNORM,
    },
    { name: "NICE's final scaling layer: the same", code: NICE_SCALING },
    {
      name: 'a ternary of two bounded scales',
      code: jsCoupling('clamp ? tf.exp(tf.clipByValue(h, -clamp, clamp)) : tf.exp(tf.tanh(h))'),
    },
    {
      name: 'if/else of two bounded scales (TS)',
      code: branchCoupling('tf.exp(tf.clipByValue(h, -2, 2))', 'h.tanh().exp()'),
    },
    { name: 'a binary mask over a bounded scale', code: maskedFlow('h.tanh().mul(2).exp()') },
    {
      name: 'a binary mask over a floored sigmoid, tf.*',
      code: maskedFlow(
        'tf.add(tf.sigmoid(tf.add(h, 2)), 0.1)',
        'tf.add(tf.mul(x, tf.add(mask, tf.mul(free, s))), t)',
      ),
    },
  ],
  invalid: [
    {
      name: "AffineCoupling scale: 'exp' -> 'bounded-tanh'",
      code: [TF, LENS, "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'exp' })] });"].join(
        '\n',
      ),
      errors: [{ messageId: 'expScale', line: 3, column: 38 }],
      output: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'bounded-tanh' })] });",
      ].join('\n'),
    },
    {
      code: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'sigmoid' })] });",
      ].join('\n'),
      errors: [{ messageId: 'scaleReachesZero', line: 3, column: 38 }],
    },
    {
      name: "MaskedAutoregressive scale: 'exp' -> 'bounded-tanh' (the same scale forms)",
      code: [
        TF,
        "import { MaskedAutoregressive, Flow } from 'lipschitz-lens';",
        "export const f = new Flow({ layers: [new MaskedAutoregressive({ scale: 'exp' })] });",
      ].join('\n'),
      errors: [{ messageId: 'expScale', line: 3, column: 38 }],
      output: [
        TF,
        "import { MaskedAutoregressive, Flow } from 'lipschitz-lens';",
        "export const f = new Flow({ layers: [new MaskedAutoregressive({ scale: 'bounded-tanh' })] });",
      ].join('\n'),
    },
    {
      name: 'hand-written coupling: reported at the exp op, replaced by a bounded form',
      code: customCoupling('tf.exp(this.net.apply(x1) as tf.Tensor)'),
      errors: [{ messageId: 'expScale', line: 6, column: 15, severity: 'warning' }],
      output: customCoupling('tf.exp(tf.mul(Math.log(2), tf.tanh(this.net.apply(x1) as tf.Tensor)))'),
    },
    {
      name: 'h.exp() in JS, fixed in the chain',
      code: jsCoupling('h.exp()'),
      errors: [{ messageId: 'expScale', line: 11, column: 15 }],
      output: jsCoupling('h.tanh().mul(Math.log(2)).exp()'),
    },
    {
      name: 'plain sigmoid(h) can reach 0',
      code: jsCoupling('tf.sigmoid(h)'),
      errors: [{ messageId: 'scaleReachesZero', line: 11, column: 15 }],
      output: jsCoupling('tf.add(tf.sigmoid(tf.add(h, 2)), 0.05)'),
    },
    {
      name: 'plain softplus(h) can reach 0',
      code: jsCoupling('h.softplus()'),
      errors: [{ messageId: 'scaleReachesZero', line: 11, column: 15 }],
    },
    {
      name: 'sigmoid(h + 2) without a floor',
      code: jsCoupling('tf.sigmoid(tf.add(h, 2))'),
      errors: [{ messageId: 'scaleReachesZero', line: 11, column: 15 }],
    },
    {
      name: "Glow's ordering: (x2 + shift) * sigmoid(raw + 2)",
      code: jsCoupling('tf.sigmoid(tf.add(h, 2))', 'tf.mul(tf.add(x2, h), s)'),
      errors: [{ messageId: 'scaleReachesZero', line: 11, column: 15 }],
    },
    {
      name: 'x2 / s: the forward pass divides',
      code: jsCoupling('h.sigmoid()', 'x2.div(s)'),
      errors: [{ messageId: 'scaleReachesZero', line: 11, column: 15 }],
    },
    {
      name: 'x2 * exp(-a)',
      code: jsCoupling('tf.exp(tf.neg(h))'),
      errors: [{ messageId: 'expScale', line: 11, column: 15 }],
    },
    {
      name: 'one-sided clamp: exp(minimum(h, 2)) still reaches 0',
      code: jsCoupling('tf.exp(tf.minimum(h, 2))'),
      errors: [{ messageId: 'expScale', line: 11, column: 15 }],
    },
    {
      name: 'MAF: (x - mu) * exp(-alpha) with mu, alpha split from a MADE net',
      code: MAF,
      errors: [{ messageId: 'expScale', line: 7, column: 34 }],
    },
    {
      name: 'a ternary with an unbounded branch: reported at that branch',
      code: jsCoupling('clamp ? tf.exp(tf.clipByValue(h, -clamp, clamp)) : tf.exp(h)'),
      errors: [{ messageId: 'expScale', line: 11, column: 66, severity: 'warning' }],
      output: jsCoupling(
        'clamp ? tf.exp(tf.clipByValue(h, -clamp, clamp)) : tf.exp(tf.mul(Math.log(2), tf.tanh(h)))',
      ),
    },
    {
      name: 'a ternary in method chaining, the options read with ?.',
      code: jsCoupling('this.opts?.clamp ? h.clipByValue(-2, 2).exp() : h.sigmoid()'),
      errors: [{ messageId: 'scaleReachesZero', line: 11, column: 63 }],
    },
    {
      name: 'if/else with an unbounded branch (TS)',
      code: branchCoupling('tf.exp(tf.clipByValue(h, -2, 2))', 'h.exp()'),
      errors: [{ messageId: 'expScale', line: 14, column: 11 }],
      output: branchCoupling('tf.exp(tf.clipByValue(h, -2, 2))', 'h.tanh().mul(Math.log(2)).exp()'),
    },
    {
      name: 'if/else, the unbounded branch first',
      code: branchCoupling('tf.exp(h)', 'tf.exp(tf.tanh(h))'),
      errors: [{ messageId: 'expScale', line: 12, column: 11 }],
    },
    {
      name: 'RealNVP binary mask: s.mul(free).add(mask) over the whole input',
      code: maskedFlow('h.exp()'),
      errors: [{ messageId: 'expScale', line: 12, column: 15, severity: 'warning' }],
      output: maskedFlow('h.tanh().mul(Math.log(2)).exp()'),
    },
    {
      name: 'RealNVP binary mask: mask + (1 - mask) * exp(h), tf.*',
      code: maskedFlow('tf.exp(h)', 'tf.add(tf.mul(x, tf.add(mask, tf.mul(tf.sub(1, mask), s))), t)'),
      errors: [{ messageId: 'expScale', line: 12, column: 15 }],
    },
    {
      name: 'RealNVP binary mask with a scale chosen by a ternary',
      code: maskedFlow('this.opts?.clamp ? tf.clipByValue(h, -2, 2).exp() : h.exp()'),
      errors: [{ messageId: 'expScale', line: 12, column: 67 }],
    },
    {
      name: 'a scale no form covers: each op that scales the data in an invertible transform',
      code: PRODUCT,
      errors: [
        { messageId: 'expScale', line: 7, column: 18 },
        { messageId: 'scaleReachesZero', line: 7, column: 32 },
      ],
    },
  ],
});

describe('unbounded-coupling-scale, unbounded-inverse-gain and non-lipschitz-activation', () => {
  const opsFlagged = (code: string): string[] =>
    lint(nonLipschitz, code).map((f) => `${f.range.start.line + 1}:${f.range.start.character + 1}`);
  const flow = (cls: string, name: string): string =>
    `${cls}\n/** @invertible */\nexport const flow = tf.sequential({ layers: [new ${name}({})] });`;

  const hints = (code: string): string[] =>
    lint(inverseGain, code).map(
      (f) => `${f.messageId}@${f.range.start.line + 1}:${f.range.start.character + 1}:${f.severity}`,
    );

  it('a learned log-scale is an unbounded-inverse-gain hint at its exp', () => {
    assert.deepEqual(hints(ACTNORM), ['learnedScale@8:48:hint']);
    assert.deepEqual(hints(NICE_SCALING), ['learnedScale@5:26:hint'], 'used on the main path of a flow');
    assert.deepEqual(hints(TEMPERATURE), [], 'nothing says the classifier must be inverted');
  });

  it('the exp of a learned scale is not reported as non-Lipschitz', () => {
    assert.deepEqual(opsFlagged(flow(ACTNORM, 'ActNormish')), []);
    assert.deepEqual(opsFlagged(NICE_SCALING), []);
  });

  it('a bounded scale exp is not reported as non-Lipschitz', () => {
    const code = flow(jsCoupling('tf.exp(tf.tanh(h))'), 'Coupling');
    assert.deepEqual(opsFlagged(code), []);
    assert.deepEqual(lint(rule, code), []);
  });

  it('a scale chosen at run time or masked is not reported as non-Lipschitz', () => {
    for (const code of [
      flow(jsCoupling('clamp ? tf.exp(tf.clipByValue(h, -clamp, clamp)) : tf.exp(h)'), 'Coupling'),
      flow(branchCoupling('tf.exp(tf.clipByValue(h, -2, 2))', 'h.exp()'), 'Coupling'),
      maskedFlow('h.exp()'),
      maskedFlow('this.opts?.clamp ? tf.clipByValue(h, -2, 2).exp() : h.exp()'),
      maskedFlow('tf.exp(h)', 'tf.add(tf.mul(x, tf.add(mask, tf.mul(tf.sub(1, mask), s))), t)'),
      PRODUCT,
    ])
      assert.deepEqual(opsFlagged(code), [], code);
  });

  it('exp of the data itself in an invertible transform is still non-Lipschitz', () => {
    const swish = [
      TF,
      'class Expish extends tf.layers.Layer {',
      '  call(x) { return x.mul(tf.exp(x)); }',
      '  inverse(y) { return y; }',
      '}',
    ].join('\n');
    assert.deepEqual(opsFlagged(flow(swish, 'Expish')), ['3:26']);
    assert.deepEqual(lint(rule, flow(swish, 'Expish')), []);
  });

  it('log |gamma| in a log-det method is not an op of the transform', () => {
    for (const ts of [true, false]) {
      const t = (x: string): string => (ts ? x : '');
      const code = [
        TF,
        'class Scale extends tf.layers.Layer {',
        '  gamma = tf.variable(tf.ones([4]));',
        `  call(x${t(': tf.Tensor')}) {`,
        '    this.logDet = this.logDetJacobian();',
        '    return x.mul(this.gamma);',
        '  }',
        `  inverse(y${t(': tf.Tensor')}) { return y.div(this.gamma); }`,
        '  logDetJacobian() { return tf.sum(tf.log(tf.abs(this.gamma))); }',
        '}',
      ].join('\n');
      assert.deepEqual(opsFlagged(flow(code, 'Scale')), []);
    }
  });
});
