import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ts } from 'ts-morph';
import { computeBounds } from '../../src/bounds';
import { extractSource } from '../../src/extract';
import { classifyScale, type Leaf, type ScaleResolver } from '../../src/extract/scale-form';
import type { CustomLayerInfo, ScaleForm, ScaleGain, ScaleGains } from '../../src/ir/model-ir';

/**
 * A coupling class in TS or JS: `h` is the conditioner's output, `clamp` a module constant (2), `eps` 1e-3;
 * `s` is the scale and `out` what replaces x2.
 */
function coupling(lang: 'ts' | 'js', s: string, out = 'tf.mul(x2, s)'): string {
  const t = (x: string): string => (lang === 'ts' ? x : '');
  return `import * as tf from '@tensorflow/tfjs';
const clamp = 2;
const eps = 1e-3;
export class C extends tf.layers.Layer {
  net${t(': tf.layers.Layer')} = tf.layers.dense({ units: 4 });
  call(inputs${t(': tf.Tensor | tf.Tensor[]')}) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [x1, x2] = tf.split(x, 2, -1);
    const h = this.net.apply(x1)${t(' as tf.Tensor')};
    const s = ${s};
    return tf.concat([x1, ${out}], -1);
  }
  inverse(y${t(': tf.Tensor')}) { return y; }
}`;
}

function read(code: string, lang: 'ts' | 'js'): CustomLayerInfo {
  const ir = extractSource(code, `model.${lang}`);
  const info = ir.customLayers[0];
  assert.ok(info, 'a custom layer');
  return info;
}

const E2 = Math.exp(2);

/** [scale in the tf.* style, the same in method chaining, form, gains when proven]. */
const FORMS: [string, string, ScaleForm, ScaleGains?][] = [
  // Unbounded.
  ['tf.exp(h)', 'h.exp()', 'exp', { forward: 'unbounded', inverse: 'unbounded' }],
  ['tf.sigmoid(h)', 'h.sigmoid()', 'sigmoid', { forward: 1, inverse: 'unbounded' }],
  ['tf.softplus(h)', 'h.softplus()', 'softplus', { forward: 'unbounded', inverse: 'unbounded' }],
  ['tf.sigmoid(tf.add(h, 2))', 'h.add(2).sigmoid()', 'sigmoid', { forward: 1, inverse: 'unbounded' }],
  ['tf.exp(tf.neg(h))', 'h.neg().exp()', 'exp'],
  ['tf.exp(tf.minimum(h, 2))', 'h.minimum(2).exp()', 'exp', { forward: E2, inverse: 'unbounded' }],
  // Bounded, constants known: gains proven.
  [
    'tf.exp(tf.mul(clamp, tf.tanh(tf.div(h, clamp))))',
    'h.div(clamp).tanh().mul(clamp).exp()',
    'bounded-tanh',
    { forward: E2, inverse: E2 },
  ],
  ['tf.exp(tf.tanh(h))', 'h.tanh().exp()', 'bounded-tanh', { forward: Math.E, inverse: Math.E }],
  [
    'tf.exp(tf.mul(Math.log(3), tf.tanh(h)))',
    'h.tanh().mul(Math.log(3)).exp()',
    'bounded-tanh',
    { forward: 3, inverse: 3 },
  ],
  [
    'tf.exp(tf.clipByValue(h, -2, 3))',
    'h.clipByValue(-2, 3).exp()',
    'clamped',
    { forward: Math.exp(3), inverse: E2 },
  ],
  [
    'tf.exp(tf.minimum(tf.maximum(h, -2), 2))',
    'h.maximum(-2).minimum(2).exp()',
    'clamped',
    { forward: E2, inverse: E2 },
  ],
  [
    'tf.exp(tf.mul(clamp * 0.636, tf.atan(tf.div(h, clamp))))',
    'h.div(clamp).atan().mul(clamp * 0.636).exp()',
    'soft-clamp',
    { forward: Math.exp(2 * 0.636 * (Math.PI / 2)), inverse: Math.exp(2 * 0.636 * (Math.PI / 2)) },
  ],
  [
    'tf.add(tf.sigmoid(tf.add(h, 2)), eps)',
    'h.add(2).sigmoid().add(eps)',
    'sigmoid-floor',
    { forward: 1 + 1e-3, inverse: 1e3 },
  ],
  [
    'tf.add(tf.mul(tf.sigmoid(tf.add(h, 2)), 1 - eps), eps)',
    'h.add(2).sigmoid().mul(1 - eps).add(eps)',
    'sigmoid-floor',
    { forward: 1, inverse: 1e3 },
  ],
  [
    'tf.add(tf.softplus(h), eps)',
    'h.softplus().add(eps)',
    'softplus-floor',
    { forward: 'unbounded', inverse: 1e3 },
  ],
  ['tf.sigmoid(tf.clipByValue(h, -4, 4))', 'h.clipByValue(-4, 4).sigmoid()', 'clamped'],
  // Not a recognised scale.
  ['h', 'h', 'identity'],
  ['tf.relu(h)', 'h.relu()', 'unknown', { forward: 'unknown', inverse: 'unknown' }],
];

function closeGains(actual: ScaleGains | undefined, expected: ScaleGains): void {
  assert.ok(actual);
  for (const dir of ['forward', 'inverse'] as const) {
    const a: ScaleGain = actual[dir];
    const e: ScaleGain = expected[dir];
    if (typeof e === 'number' && typeof a === 'number')
      assert.ok(Math.abs(a - e) < 1e-9 * e, `${dir}: ${a} vs ${e}`);
    else assert.equal(a, e, dir);
  }
}

describe('scale-form: each form, tf.* and method chaining, TS and JS', () => {
  for (const [tfStyle, chained, form, gains] of FORMS) {
    for (const lang of ['ts', 'js'] as const) {
      for (const s of new Set([tfStyle, chained])) {
        it(`${lang}: s = ${s} is '${form}'`, () => {
          const info = read(coupling(lang, s), lang);
          assert.equal(info.wiring, 'affine-coupling');
          assert.equal(info.scale, form);
          if (gains) closeGains(info.scaleGains, gains);
        });
      }
    }
  }
});

describe('scale-form: where the inverse divides by the scale', () => {
  const cases: [string, string, string, ScaleForm][] = [
    ['x2 * s + t', 'tf.exp(h)', 'tf.add(tf.mul(x2, s), h)', 'exp'],
    ['s * x2', 'tf.exp(h)', 'tf.mul(s, x2)', 'exp'],
    ['x2.mul(s).add(t)', 'tf.exp(h)', 'x2.mul(s).add(h)', 'exp'],
    ["Glow's (x2 + t) * s", 'tf.sigmoid(tf.add(h, 2))', 'tf.mul(tf.add(x2, h), s)', 'sigmoid'],
    ['(x2 + t) * s, chained', 'h.add(2).sigmoid()', 'x2.add(h).mul(s)', 'sigmoid'],
    ['x2 / s', 'tf.sigmoid(h)', 'tf.div(x2, s)', 'sigmoid'],
    ['x2 * exp(-a)', 'tf.exp(tf.neg(h))', 'x2.mul(s)', 'exp'],
  ];
  for (const [name, s, out, form] of cases) {
    it(name, () => {
      const info = read(coupling('js', s, out), 'js');
      assert.equal(info.wiring, 'affine-coupling');
      assert.equal(info.scale, form);
    });
  }

  it('x2 / sigmoid(h): the forward gain is the unbounded one', () => {
    const info = read(coupling('js', 'tf.sigmoid(h)', 'x2.div(s)'), 'js');
    assert.deepEqual(info.scaleGains, { forward: 'unbounded', inverse: 1 });
  });

  const halves: [string, string][] = [
    ['x.slice', 'const x1 = x.slice([0, 0], [-1, 2]);\n    const x2 = x.slice([0, 2], [-1, 2]);'],
    ['tf.slice', 'const x1 = tf.slice(x, [0, 0], [-1, 2]);\n    const x2 = tf.slice(x, [0, 2], [-1, 2]);'],
    ['tf.gather', 'const x1 = tf.gather(x, [0, 1], 1);\n    const x2 = tf.gather(x, [2, 3], 1);'],
    ['tf.unstack', 'const [x1, x2] = tf.unstack(x, 1);'],
    [
      'indexing a split',
      'const parts = tf.split(x, 2, -1);\n    const x1 = parts[0];\n    const x2 = parts[1];',
    ],
    ['x.split', 'const [x1, x2] = x.split(2, -1);'],
  ];
  for (const [name, split] of halves) {
    it(`halves from ${name}`, () => {
      const code = coupling('js', 'tf.exp(h)').replace('const [x1, x2] = tf.split(x, 2, -1);', split);
      const info = read(code, 'js');
      assert.equal(info.wiring, 'affine-coupling');
      assert.equal(info.scale, 'exp');
    });
  }
});

describe('scale-form: constants and helpers', () => {
  it('a clamp from the config is bounded, with unknown gains (never a default)', () => {
    const code = coupling('js', 'tf.exp(tf.mul(this.clamp, tf.tanh(tf.div(h, this.clamp))))').replace(
      '  call(inputs) {',
      '  constructor(args) { super(args); this.clamp = args.clamp; }\n  call(inputs) {',
    );
    const info = read(code, 'js');
    assert.equal(info.scale, 'bounded-tanh');
    assert.deepEqual(info.scaleGains, { forward: 'unknown', inverse: 'unknown' });
  });

  it('a floor from the config: sigmoid-floor, inverse gain unknown', () => {
    const code = coupling('js', 'tf.sigmoid(h).add(this.eps)').replace(
      '  call(inputs) {',
      '  constructor(args) { super(args); this.eps = args.eps; }\n  call(inputs) {',
    );
    const info = read(code, 'js');
    assert.equal(info.scale, 'sigmoid-floor');
    assert.equal(info.scaleGains?.inverse, 'unknown');
  });

  it('a scale computed in a helper method, its parameter bound to the argument', () => {
    const helper =
      '  bound(z) { const t = tf.tanh(z); return tf.exp(t); }\n  raw(z) { const u = z.mul(2); return u.exp(); }\n';
    const withHelpers = (s: string): string =>
      coupling('js', s).replace('  call(inputs) {', `${helper}  call(inputs) {`);
    assert.equal(read(withHelpers('this.bound(h)'), 'js').scale, 'bounded-tanh');
    assert.equal(read(withHelpers('this.raw(h)'), 'js').scale, 'exp');
  });

  it('a local arrow and tf.tidy are read through', () => {
    const arrow = 'const soft = (z) => tf.exp(tf.mul(2, tf.tanh(tf.div(z, 2))));\n    const s = soft(h);';
    const code = coupling('js', 'null').replace('const s = null;', arrow);
    assert.equal(read(code, 'js').scale, 'bounded-tanh');
    assert.equal(read(coupling('js', 'tf.tidy(() => tf.exp(tf.tanh(h)))'), 'js').scale, 'bounded-tanh');
  });

  it('s = tanh(s) reassignments read the earlier value', () => {
    const code = coupling('js', 'null').replace(
      'const s = null;',
      'let a = h;\n    a = tf.mul(clamp, tf.tanh(tf.div(a, clamp)));\n    const s = tf.exp(a);',
    );
    assert.equal(read(code, 'js').scale, 'bounded-tanh');
  });

  it("a conditioner's last activation bounds h: tanh yes, relu no", () => {
    const net = (act: string): string =>
      coupling('js', 'tf.exp(h)').replace('{ units: 4 }', `{ units: 4, activation: '${act}' }`);
    assert.equal(read(net('tanh'), 'js').scale, 'bounded-tanh');
    assert.equal(read(net('relu'), 'js').scale, 'exp');
    const seq = coupling('js', 'tf.exp(h)').replace(
      'tf.layers.dense({ units: 4 })',
      "tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu' }), tf.layers.dense({ units: 4, activation: 'tanh' })] })",
    );
    assert.equal(read(seq, 'js').scale, 'bounded-tanh');
  });
});

describe('scale-form: learned weights and autoregressive transforms', () => {
  const layer = (body: string, extra = ''): string =>
    `import * as tf from '@tensorflow/tfjs';\nexport class L extends tf.layers.Layer {\n${extra}${body}\n}`;

  it('exp of an addWeight log-scale: learned-param, gains unknown', () => {
    const code = layer(
      '  call(x) { return tf.mul(tf.add(x, this.b.read()), tf.exp(this.logs.read())); }\n  inverse(y) { return y; }',
      "  build(s) { this.logs = this.addWeight('logs', [s[1]], 'float32'); this.b = this.addWeight('b', [s[1]], 'float32'); }\n",
    );
    const info = read(code, 'js');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'learned-param');
    assert.deepEqual(info.scaleGains, { forward: 'unknown', inverse: 'unknown' });
    assert.equal(info.addsInput, false, 'x + b is the shift, not a residual');
  });

  it('exp of a tf.variable, no inverse(): the scale is known, the wiring is not claimed', () => {
    const info = read(
      layer('  call(x) { return x.mul(this.logScale.exp()); }', '  logScale = tf.variable(tf.zeros([8]));\n'),
      'js',
    );
    assert.equal(info.scale, 'learned-param');
    assert.equal(info.wiring, undefined);
  });

  const made =
    "  made = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: 'relu' }), tf.layers.dense({ units: 8 })] });\n";
  it('MAF: (x - mu) * exp(-alpha), mu and alpha split from the MADE output', () => {
    const info = read(
      layer(
        '  call(x) {\n    const [mu, alpha] = tf.split(this.made.apply(x), 2, -1);\n    return x.sub(mu).mul(alpha.neg().exp());\n  }',
        made,
      ),
      'js',
    );
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'exp');
    assert.equal(info.splitsInput, false, "splitting the conditioner's output is not splitting the input");
  });

  it('MAF with a floored softplus scale: x * (softplus(a) + eps) + shift is bounded below', () => {
    const info = read(
      layer(
        '  call(x) {\n    const p = this.made.apply(x);\n    const [shift, a] = tf.split(p, 2, -1);\n    return tf.add(tf.mul(x, tf.add(tf.softplus(a), 1e-3)), shift);\n  }',
        made,
      ),
      'ts',
    );
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'softplus-floor');
  });

  it('a gate x * sigmoid(f(x)) with no shift and no inverse is not an affine transform', () => {
    const info = read(
      layer(
        '  call(x) { return x.mul(tf.sigmoid(this.fc.apply(x))); }',
        '  fc = tf.layers.dense({ units: 4 });\n',
      ),
      'js',
    );
    assert.equal(info.wiring, undefined);
    assert.equal(info.scale, undefined);
  });
});

describe('scale-form: the pure reader with a hand-written resolver', () => {
  /** Reads `tf.f(...)` and `x.f(...)` as op f; names from `leaves`, everything else data. */
  function resolver(leaves: Record<string, Leaf>): ScaleResolver {
    return {
      op(call) {
        const c = call.expression;
        if (!ts.isPropertyAccessExpression(c)) return undefined;
        if (ts.isIdentifier(c.expression) && c.expression.text === 'tf')
          return { op: c.name.text, operands: call.arguments };
        return { op: c.name.text, operands: [c.expression, ...call.arguments] };
      },
      leaf: (e) => leaves[e.getText()] ?? { kind: 'tensor' },
      inline: () => undefined,
      applied: () => undefined,
    };
  }
  function scaleOf(text: string, leaves: Record<string, Leaf> = {}, divides = false) {
    const sf = ts.createSourceFile('s.ts', `const s = ${text};`, ts.ScriptTarget.Latest, true);
    const decl = (sf.statements[0] as ts.VariableStatement).declarationList.declarations[0]!;
    return classifyScale(decl.initializer!, resolver(leaves), divides);
  }

  it('reads forms without tfjs or the interpreter', () => {
    assert.equal(scaleOf('tf.exp(h)').form, 'exp');
    assert.equal(
      scaleOf('tf.exp(tf.mul(c, tf.tanh(h)))', { c: { kind: 'number', value: 1.5 } }).form,
      'bounded-tanh',
    );
    assert.equal(scaleOf('tf.exp(w)', { w: { kind: 'parameter' } }).form, 'learned-param');
    assert.equal(scaleOf('tf.sigmoid(h).add(e)', { e: { kind: 'constant' } }).form, 'sigmoid-floor');
  });

  it('gains swap when the forward pass divides', () => {
    const leaves: Record<string, Leaf> = { c: { kind: 'number', value: 1 } };
    assert.deepEqual(scaleOf('tf.add(tf.sigmoid(h), c)', leaves).gains, { forward: 2, inverse: 1 });
    assert.deepEqual(scaleOf('tf.add(tf.sigmoid(h), c)', leaves, true).gains, { forward: 1, inverse: 2 });
  });

  it('maximum and minimum move both ends: exp(maximum(tanh(h), 5)) is e^5', () => {
    const { gains } = scaleOf('tf.exp(tf.maximum(tf.tanh(h), c))', { c: { kind: 'number', value: 5 } });
    closeGains(gains, { forward: Math.exp(5), inverse: Math.exp(-5) });
  });

  it('an unknown factor never yields a number', () => {
    const g = scaleOf('tf.exp(tf.mul(k, tf.tanh(h)))', { k: { kind: 'constant' } }).gains;
    assert.deepEqual(g, { forward: 'unknown', inverse: 'unknown' });
  });
});

describe('scale-form: the shapes ports take', () => {
  it("Glow's helper returning { shift, scale }, destructured in call()", () => {
    const code = `import * as tf from '@tensorflow/tfjs';
export class Glow extends tf.layers.Layer {
  nn = tf.layers.dense({ units: 4 });
  shiftAndScale(z1) {
    const [shift, raw] = tf.split(this.nn.apply(z1), 2, -1);
    const scale = tf.sigmoid(tf.add(raw, 2.0));
    return { shift, scale };
  }
  call(z) {
    const [z1, z2] = tf.split(z, 2, -1);
    const { shift, scale } = this.shiftAndScale(z1);
    return tf.concat([z1, tf.mul(tf.add(z2, shift), scale)], -1);
  }
  inverse(y) { return y; }
}`;
    const info = read(code, 'js');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'sigmoid');
    assert.equal(info.scaleAnchor?.start.line, 5, 'at the sigmoid in the helper');
  });

  it('a plain class with forward(): halves from a helper that picks them by parity', () => {
    const code = `import * as tf from '@tensorflow/tfjs';
class AffineHalf {
  constructor(parity) { this.parity = parity; this.net = tf.sequential({ layers: [tf.layers.dense({ units: 2 })] }); }
  halves(x) {
    const [a, b] = tf.split(x, 2, 1);
    return this.parity ? [b, a] : [a, b];
  }
  params(x0) {
    const s = this.net.apply(x0);
    return { s, scale: s.exp() };
  }
  forward(x) {
    const [x0, x1] = this.halves(x);
    const { scale } = this.params(x0);
    return tf.concat([x0, x1.mul(scale)], 1);
  }
  inverse(z) { return z; }
}
export const flow = [new AffineHalf(0), new AffineHalf(1)];`;
    const info = read(code, 'js');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'exp');
    assert.equal(info.scaleAnchor?.start.line, 9);
  });

  it('RealNVP checkerboard: x * (1 - mask) * exp(s), s a clipped log-scale from a helper returning [s, t]', () => {
    const code = `import * as tf from '@tensorflow/tfjs';
export class Checker extends tf.layers.Layer {
  constructor(args) {
    super(args);
    this.mask = tf.tensor2d([[1, 0, 1, 0]]);
    this.net = tf.layers.dense({ units: 8 });
  }
  logScaleAndShift(xm) {
    const [raw, t] = tf.split(this.net.apply(xm), 2, -1);
    return [tf.clipByValue(raw, -5, 5), t];
  }
  call(x) {
    const xm = tf.mul(x, this.mask);
    const [s, t] = this.logScaleAndShift(xm);
    return tf.add(xm, tf.add(tf.mul(tf.mul(x, tf.sub(1, this.mask)), tf.exp(s)), t));
  }
  inverse(y) { return y; }
}`;
    const info = read(code, 'js');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'clamped');
    closeGains(info.scaleGains, { forward: Math.exp(5), inverse: Math.exp(5) });
  });

  it('a coupling with a global learned scale first (FrEIA AllInOne): both scales are read', () => {
    const code = `import * as tf from '@tensorflow/tfjs';
export class AllInOne extends tf.layers.Layer {
  constructor(args) { super(args); this.clamp = 2; this.subnet = tf.layers.dense({ units: 4 }); }
  build() { this.globalScale = this.addWeight('g', [1, 4], 'float32'); }
  scale() { return tf.softplus(this.globalScale.read().mul(0.5)).mul(0.2); }
  call(x) {
    const [x1, x2] = tf.split(x.mul(this.scale()), 2, -1);
    const [sRaw, t] = tf.split(this.subnet.apply(x1), 2, -1);
    const s = tf.tanh(sRaw).mul(this.clamp);
    return tf.concat([x1, x2.mul(s.exp()).add(t)], -1);
  }
  inverse(y) { return y; }
}`;
    const info = read(code, 'js');
    assert.equal(info.wiring, 'affine-coupling');
    assert.equal(info.scale, 'bounded-tanh');
    closeGains(info.scaleGains, { forward: E2, inverse: E2 });
    assert.deepEqual(
      info.learnedScales?.map((r) => r.start.line),
      [4],
    );
  });
});

describe('scale-form: bounds of a hand-written coupling', () => {
  /** The gains in x2 for fixed x1 (the global bound of an affine coupling is unbounded whatever its scale). */
  const boundsOf = (code: string): { forward: unknown; inverse: unknown } => {
    const ir = extractSource(
      `${code}\n/** @invertible */\nexport const m = tf.sequential({ layers: [new C({})] });`,
      'model.js',
    );
    const block = ir.models.find((m) => m.name === 'm')!.body.children[0]!;
    const b = computeBounds(ir).get(block.id)!;
    assert.deepEqual([b.forward, b.inverse], ['unbounded', 'unbounded']);
    return { forward: b.x2Gains?.forward, inverse: b.x2Gains?.inverse };
  };

  it('gains proven from known constants', () => {
    const b = boundsOf(coupling('js', 'tf.exp(tf.mul(clamp, tf.tanh(tf.div(h, clamp))))'));
    assert.ok(typeof b.forward === 'number' && Math.abs(b.forward - E2) < 1e-9);
    assert.ok(typeof b.inverse === 'number' && Math.abs(b.inverse - E2) < 1e-9);
  });

  it('a constant from the config: unknown, never the layer defaults', () => {
    const code = coupling('js', 'tf.exp(tf.mul(this.clamp, tf.tanh(h)))').replace(
      '  call(inputs) {',
      '  constructor(args) { super(args); this.clamp = args.clamp; }\n  call(inputs) {',
    );
    assert.deepEqual(boundsOf(code), { forward: 'unknown', inverse: 'unknown' });
    const floor = coupling('js', 'tf.sigmoid(h).add(this.eps)').replace(
      '  call(inputs) {',
      '  constructor(args) { super(args); this.eps = args.eps; }\n  call(inputs) {',
    );
    assert.equal(boundsOf(floor).inverse, 'unknown');
  });

  it('raw exp: unbounded both ways', () => {
    assert.deepEqual(boundsOf(coupling('js', 'tf.exp(h)')), { forward: 'unbounded', inverse: 'unbounded' });
  });
});

/** A whole-input transform: `s` is the scale of x, h and t the two halves of the conditioner's output. */
function transform(lang: 'ts' | 'js', s: string, out = 'x.mul(s).add(t)', extra = ''): string {
  const t = (x: string): string => (lang === 'ts' ? x : '');
  return `import * as tf from '@tensorflow/tfjs';
const clamp = 2;
const mask = tf.tensor1d([1, 0, 1, 0]);
export class T extends tf.layers.Layer {
  net${t(': tf.Sequential')} = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4] })] });
  opts${t(': { clamp?: number; kind?: string }')} = {};
${extra}  call(x${t(': tf.Tensor')}) {
    const [h, t] = tf.split(this.net.apply(x.mul(mask))${t(' as tf.Tensor')}, 2, -1);
    const s = ${s};
    return ${out};
  }
  inverse(y${t(': tf.Tensor')}) { return y; }
}`;
}

const lineOf = (r: { start: { line: number } } | undefined): number | undefined =>
  r === undefined ? undefined : r.start.line + 1;

describe('scale-form: a scale chosen at run time takes every alternative', () => {
  const ternaries: [string, string, ScaleForm, number, ScaleGains?][] = [
    [
      'this.opts.clamp ? tf.exp(tf.clipByValue(h, -clamp, clamp)) : tf.exp(h)',
      'this.opts?.clamp ? tf.clipByValue(h, -clamp, clamp).exp() : h.exp()',
      'exp',
      9,
      { forward: 'unbounded', inverse: 'unbounded' },
    ],
    [
      'this.opts.clamp ? tf.exp(tf.clipByValue(h, -clamp, clamp)) : tf.exp(tf.tanh(h))',
      'this.opts?.clamp ? h.clipByValue(-clamp, clamp).exp() : h.tanh().exp()',
      'clamped',
      9,
      { forward: E2, inverse: E2 },
    ],
    [
      'this.opts.kind === "sigmoid" ? tf.sigmoid(h) : tf.exp(tf.tanh(h))',
      'this.opts.kind === "sigmoid" ? h.sigmoid() : h.tanh().exp()',
      'sigmoid',
      9,
      { forward: Math.E, inverse: 'unbounded' },
    ],
  ];
  for (const [tfStyle, chained, form, line, gains] of ternaries)
    for (const lang of ['ts', 'js'] as const)
      for (const s of [tfStyle, chained])
        it(`${lang}: s = ${s} is '${form}'`, () => {
          const info = read(transform(lang, s), lang);
          assert.equal(info.wiring, 'affine-coupling');
          assert.equal(info.scale, form);
          assert.equal(lineOf(info.scaleAnchor), line);
          if (gains) closeGains(info.scaleGains, gains);
          assert.equal(info.scaleOps?.length, 2, 'both alternatives are scale ops');
        });

  it('the unbounded alternative is the anchor, the bounded one is a bounded scale op', () => {
    const info = read(transform('js', 'this.opts.clamp ? h.clipByValue(-2, 2).exp() : h.exp()'), 'js');
    const line = transform('js', 'this.opts.clamp ? h.clipByValue(-2, 2).exp() : h.exp()').split('\n')[8]!;
    assert.equal(info.scaleAnchor?.start.character, line.lastIndexOf('h.exp()'));
    assert.deepEqual(info.scaleOps?.map((o) => o.form).sort(), ['clamped', 'exp']);
  });

  const branches: [string, string, ScaleForm][] = [
    [
      'if/else',
      'let s;\n    if (this.opts.clamp) s = tf.exp(tf.clipByValue(h, -2, 2));\n    else s = tf.exp(h);',
      'exp',
    ],
    [
      'if/else, the unbounded one first',
      'let s;\n    if (!this.opts.clamp) {\n      s = h.exp();\n    } else {\n      s = h.clipByValue(-2, 2).exp();\n    }',
      'exp',
    ],
    [
      'an if without else over a default',
      'let s = tf.exp(h);\n    if (this.opts.clamp) s = tf.exp(tf.tanh(h));',
      'exp',
    ],
    [
      'both branches bounded: the looser bound',
      'let s;\n    if (this.opts.clamp) s = h.clipByValue(-2, 2).exp();\n    else s = h.tanh().exp();',
      'clamped',
    ],
    [
      'a later assignment hides an earlier one',
      'let s = tf.exp(h);\n    s = tf.exp(tf.tanh(h));',
      'bounded-tanh',
    ],
    [
      'a switch',
      "let s;\n    switch (this.opts.kind) {\n      case 'clamp': s = h.clipByValue(-2, 2).exp(); break;\n      default: s = h.softplus();\n    }",
      'softplus',
    ],
  ];
  for (const [name, def, form] of branches)
    for (const lang of ['ts', 'js'] as const)
      it(`${lang}: ${name}: '${form}'`, () => {
        const code = transform(lang, 'null').replace(
          'const s = null;',
          def.replace('let s;', `let s${lang === 'ts' ? ': tf.Tensor' : ''};`),
        );
        const info = read(code, lang);
        assert.equal(info.wiring, 'affine-coupling');
        assert.equal(info.scale, form);
      });

  it('a helper with one return per branch', () => {
    const helper =
      '  scale(h) {\n    if (this.opts.clamp) return tf.exp(tf.clipByValue(h, -2, 2));\n    return tf.exp(h);\n  }\n';
    const info = read(transform('js', 'this.scale(h)', 'x.mul(s).add(t)', helper), 'js');
    assert.equal(info.scale, 'exp');
    assert.equal(lineOf(info.scaleAnchor), 9);
  });
});

describe("scale-form: RealNVP's binary masks", () => {
  const masked: [string, string][] = [
    [
      's.mul(free).add(mask)',
      'const free = tf.sub(1, mask);\n    return x.mul(s.mul(free).add(mask)).add(t.mul(free));',
    ],
    ['x.mul(s.mul(1 - mask).add(mask))', 'return x.mul(s.mul(tf.sub(1, mask)).add(mask)).add(t);'],
    ['mask + (1 - mask) * s, tf.*', 'return tf.add(tf.mul(x, tf.add(mask, tf.mul(tf.sub(1, mask), s))), t);'],
    ['(1 - mask) * s + mask * 1', 'return tf.mul(x, tf.add(tf.mul(tf.sub(1, mask), s), tf.mul(mask, 1)));'],
  ];
  for (const [name, out] of masked)
    for (const lang of ['ts', 'js'] as const) {
      const code = (s: string): string => transform(lang, s).replace('return x.mul(s).add(t);', out);
      it(`${lang}: ${name} with s = exp(h): the scale, [0, inf)`, () => {
        const info = read(code('tf.exp(h)'), lang);
        assert.equal(info.wiring, 'affine-coupling');
        assert.equal(info.scale, 'exp');
        assert.equal(lineOf(info.scaleAnchor), 9);
        assert.deepEqual(info.scaleGains, { forward: 'unbounded', inverse: 'unbounded' });
      });
      it(`${lang}: ${name} with s = exp(tanh(h)): the union of 1 and [1/e, e]`, () => {
        const info = read(code('h.tanh().exp()'), lang);
        assert.equal(info.scale, 'bounded-tanh');
        closeGains(info.scaleGains, { forward: Math.E, inverse: Math.E });
      });
      it(`${lang}: ${name} with s = sigmoid(h): reaches 0`, () => {
        const info = read(code('tf.sigmoid(h)'), lang);
        assert.equal(info.scale, 'sigmoid');
        assert.deepEqual(info.scaleGains, { forward: 1, inverse: 'unbounded' });
      });
    }

  it('a mask from the config, known only by its complement 1 - mask: presumed in [0, 1], the union of 1 and s', () => {
    const code = transform(
      'js',
      'h.tanh().exp()',
      'x.mul(s.mul(tf.sub(1, this.mask)).add(this.mask))',
    ).replace('  call(x) {', '  constructor(args) { super(args); this.mask = args.mask; }\n  call(x) {');
    const info = read(code, 'js');
    assert.equal(info.scale, 'bounded-tanh');
    closeGains(info.scaleGains, { forward: Math.E, inverse: Math.E });
  });

  it('masks picked from an object of constant tensors in a factory around the class', () => {
    const code = `import * as tf from '@tensorflow/tfjs';
const masks = { even: tf.tensor1d([1, 0, 1, 0]), odd: tf.tensor1d([0, 1, 0, 1]) };
export function makeCoupling(side, opts) {
  const mask = masks[side];
  const free = tf.sub(1, mask);
  class Coupling extends tf.layers.Layer {
    net = tf.layers.dense({ units: 8 });
    call(x) {
      const [h, t] = tf.split(this.net.apply(tf.mul(x, mask)), 2, -1);
      const s = opts?.clamp ? h.clipByValue(-opts.clamp, opts.clamp).exp() : h.exp();
      return x.mul(s.mul(free).add(mask)).add(t.mul(free));
    }
    inverse(y) { return y; }
  }
  return new Coupling({});
}
export const flow = tf.sequential({ layers: [makeCoupling('even', {})] });`;
    const block = extractSource(code, 'model.js').models[0]?.body.children[0];
    assert.ok(block?.kind === 'block');
    assert.equal(block.wiring, 'affine-coupling');
    assert.equal(block.scale, 'exp');
    assert.equal(lineOf(block.anchor), 10);
  });
});

describe('scale-form: ops that scale the data in an invertible transform', () => {
  const cls = (call: string, inverse = true, extra = ''): string => `import * as tf from '@tensorflow/tfjs';
export class T extends tf.layers.Layer {
  net = tf.layers.dense({ units: 4 });
  gate = tf.layers.dense({ units: 4 });
${extra}  call(x) {
    const h = this.net.apply(x);
    return ${call};
  }
${inverse ? '  inverse(y) { return y; }\n' : ''}}`;

  it('a product of two scales: each op is a scale op with its own form', () => {
    const info = read(cls('x.mul(tf.exp(h).mul(tf.sigmoid(this.gate.apply(x))))'), 'js');
    assert.deepEqual(
      info.scaleOps?.map((o) => `${o.form}@${lineOf(o.range)}`),
      ['exp@7', 'sigmoid@7'],
    );
  });

  it('dividing the data: x / softplus(h)', () => {
    const info = read(cls('tf.div(x, tf.softplus(h).mul(tf.exp(h)))'), 'ts');
    assert.deepEqual(info.scaleOps?.map((o) => o.form).sort(), ['exp', 'softplus']);
  });

  it('a function of the very data it multiplies is an activation, not a scale', () => {
    for (const call of ['x.mul(tf.sigmoid(x))', 'x.mul(tf.exp(x))', 'tf.mul(x, tf.exp(tf.mul(x, 0.5)))']) {
      const info = read(cls(call), 'js');
      assert.equal(info.scaleOps, undefined, call);
      assert.equal(info.wiring, undefined, call);
    }
  });

  it('not in a transform without an inverse (a gate)', () => {
    assert.equal(read(cls('x.mul(tf.exp(h))', false), 'js').scaleOps, undefined);
  });

  it('a learned scale among the scale ops is a learned scale', () => {
    const info = read(
      cls(
        'x.mul(tf.exp(this.logs.read())).mul(tf.sigmoid(h))',
        true,
        "  build() { this.logs = this.addWeight('logs', [4], 'float32'); }\n",
      ),
      'js',
    );
    assert.deepEqual(info.scaleOps?.map((o) => o.form).sort(), ['learned-param', 'sigmoid']);
    assert.deepEqual(info.learnedScales?.map(lineOf), [8]);
  });
});

describe('scale-form: only the ops of the forward pass', () => {
  it('log-det terms, methods and fields are not ops of the transform', () => {
    for (const lang of ['ts', 'js'] as const) {
      const t = (x: string): string => (lang === 'ts' ? x : '');
      const code = `import * as tf from '@tensorflow/tfjs';
export class Scaling extends tf.layers.Layer {
  gamma = tf.variable(tf.ones([4]));
  ldj${t('?: tf.Tensor')};
  forward(x${t(': tf.Tensor')}) {
    this.ldj = tf.sum(tf.log(tf.abs(this.gamma)));
    return { y: x.mul(this.gamma), logDet: this.logDetJacobian(), logAbsDet: tf.log(tf.abs(this.gamma)) };
  }
  inverse(y${t(': tf.Tensor')}) { return y.div(this.gamma); }
  logDetJacobian() { return tf.sum(tf.log(tf.abs(this.gamma))); }
}`;
      const info = read(code, lang);
      assert.deepEqual(
        info.ops.map((o) => o.op),
        ['mul'],
        lang,
      );
    }
  });

  it("the inverse's ops are not read", () => {
    const info = read(
      transform('js', 'h.tanh().exp()').replace('{ return y; }', '{ return tf.log(y).exp(); }'),
      'js',
    );
    assert.ok(!info.ops.some((o) => o.op === 'log'));
  });
});

describe('scale-form: the pure reader, alternatives and masks', () => {
  function resolver(leaves: Record<string, Leaf>): ScaleResolver {
    return {
      op(call) {
        const c = call.expression;
        if (!ts.isPropertyAccessExpression(c)) return undefined;
        if (ts.isIdentifier(c.expression) && c.expression.text === 'tf')
          return { op: c.name.text, operands: call.arguments };
        return { op: c.name.text, operands: [c.expression, ...call.arguments] };
      },
      leaf: (e) => leaves[e.getText()] ?? { kind: 'tensor' },
      inline: () => undefined,
      applied: () => undefined,
    };
  }
  const scaleOf = (text: string, leaves: Record<string, Leaf> = {}) => {
    const sf = ts.createSourceFile('s.ts', `const s = ${text};`, ts.ScriptTarget.Latest, true);
    const decl = (sf.statements[0] as ts.VariableStatement).declarationList.declarations[0]!;
    return classifyScale(decl.initializer!, resolver(leaves));
  };
  const mask: Record<string, Leaf> = { mask: { kind: 'constant' }, c: { kind: 'constant' } };

  it('written with operators: mask + (1 - mask) * exp(h)', () => {
    assert.equal(scaleOf('mask + (1 - mask) * tf.exp(h)', mask).form, 'exp');
    const r = scaleOf('mask + (1 - mask) * tf.exp(tf.tanh(h))', mask);
    assert.equal(r.form, 'bounded-tanh');
    closeGains(r.gains, { forward: Math.E, inverse: Math.E });
  });

  it('a "mask" that depends on the input is not one', () => {
    const r = scaleOf('g + (1 - g) * tf.exp(tf.tanh(h))');
    assert.equal(r.form, 'unknown');
  });

  it('a conditional: one site per alternative, the worst is the form', () => {
    const r = scaleOf('c ? tf.exp(tf.tanh(h)) : tf.sigmoid(h)', mask);
    assert.equal(r.form, 'sigmoid');
    assert.deepEqual(
      r.sites.map((x) => x.form),
      ['bounded-tanh', 'sigmoid'],
    );
    assert.deepEqual(r.gains, { forward: Math.E, inverse: 'unbounded' });
  });
});
