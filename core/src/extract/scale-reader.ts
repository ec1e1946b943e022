/**
 * Reads a tensor expression from the TS AST into a sound interval of its values (`Extent`, intervals.ts), and
 * follows a scale's own chain down to the ops that form it (`core`). Names resolve through the caller's
 * `ScaleResolver`, locals (every definition that may reach), inlined helpers and parts of what they return; a
 * value chosen among several (a conditional, an if/else, a helper's returns, RealNVP's masked mix) is the union
 * of its alternatives, or one of them when a `Choices` map picks it. No tfjs and no interpreter here.
 */
import { ts } from 'ts-morph';
import {
  add,
  ANY,
  type Bounder,
  bounded,
  clip,
  type End,
  type Extent,
  FINITE,
  isNum,
  monotone,
  mul,
  neg,
  point,
  reciprocal,
  sigmoid,
  softplus,
  union,
} from './intervals';
import {
  type Arith,
  type Binding,
  type Choices,
  MAX_DEPTH,
  NameReader,
  type Scope,
  strip,
} from './scale-names';
import type { OpRead } from './scale-form';

const MAX_STEPS = 5000;

/** Ops that only move values around. */
const SHAPE_OPS = new Set([
  'reshape',
  'squeeze',
  'expandDims',
  'transpose',
  'tile',
  'broadcastTo',
  'clone',
  'cast',
  'identity',
  'split',
  'slice',
  'unstack',
  'stridedSlice',
  'gather',
  'concat',
  'stack',
  'scalar',
  'mean',
]);

/** The ops that form a scale. */
const SCALE_OPS = new Set(['exp', 'sigmoid', 'softplus']);

/** Ops that make a tensor of the values given. */
const TENSOR_OPS = new Set([
  'tensor',
  'tensor1d',
  'tensor2d',
  'tensor3d',
  'tensor4d',
  'tensor5d',
  'tensor6d',
]);

/** Ops that create a tensor from numbers: constant in the input. */
const CONSTANT_OPS = new Set([
  'tensor',
  'tensor1d',
  'tensor2d',
  'tensor3d',
  'tensor4d',
  'tensor5d',
  'tensor6d',
  'ones',
  'zeros',
  'fill',
  'eye',
  'linspace',
  'range',
  'oneHot',
  'randomNormal',
  'randomUniform',
  'truncatedNormal',
]);

/** Output ranges of activations, for a conditioner whose last layer has one. */
const ACTIVATION_RANGE: Record<string, [number, number, Bounder]> = {
  tanh: [-1, 1, 'tanh'],
  softsign: [-1, 1, 'bounded'],
  sigmoid: [0, 1, 'bounded'],
  hardSigmoid: [0, 1, 'bounded'],
};

const MATH: Record<string, (...xs: number[]) => number> = {
  log: Math.log,
  exp: Math.exp,
  sqrt: Math.sqrt,
  log2: Math.log2,
  log10: Math.log10,
  abs: Math.abs,
  min: Math.min,
  max: Math.max,
  pow: Math.pow,
  tanh: Math.tanh,
  atan: Math.atan,
};

/** One side of a masked mix: its factors other than the mask (none: the side is the mask itself, 1 where kept). */
interface Side {
  factors: { e: ts.Expression; scope: Scope | undefined }[];
}

const MAX_ALTERNATIVES = 8;

export class Reader extends NameReader {
  /** Extents already read, per node and scope: locals used many times are read once. */
  private memo = new Map<ts.Node, Map<Scope | undefined, Extent>>();
  /** Work left: a file the reader cannot finish quickly gets unknowns, never a hang. */
  private budget = MAX_STEPS;

  extent(e: ts.Expression, scope: Scope | undefined, depth: number): Extent {
    e = strip(e);
    if (depth > MAX_DEPTH || --this.budget < 0) return ANY;
    const byScope = this.memo.get(e) ?? new Map<Scope | undefined, Extent>();
    this.memo.set(e, byScope);
    const known = byScope.get(scope);
    if (known) return known;
    byScope.set(scope, ANY); // a definition that reaches itself reads as unbounded
    const x = this.read(e, scope, depth + 1);
    byScope.set(scope, x);
    return x;
  }

  private extents(list: readonly Binding[], d: number): Extent {
    return union(list.map((b) => this.extent(b.bound, b.scope, d)));
  }

  private read(e: ts.Expression, scope: Scope | undefined, d: number): Extent {
    if (ts.isNumericLiteral(e)) return point(Number(e.text));
    if (ts.isPrefixUnaryExpression(e)) {
      const x = this.extent(e.operand, scope, d);
      if (e.operator === ts.SyntaxKind.MinusToken) return neg(x);
      if (e.operator === ts.SyntaxKind.PlusToken) return x;
      return ANY;
    }
    if (ts.isConditionalExpression(e))
      return this.extents(
        this.pick(e, [e.whenTrue, e.whenFalse]).map((bound) => ({ bound, scope })),
        d,
      );
    if (ts.isBinaryExpression(e)) return this.binary(e, scope, d);
    const math = this.mathConstant(e, scope, d);
    if (math !== undefined) return math;
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) return this.leafExtent(e, scope, d);
    if (ts.isElementAccessExpression(e)) {
      const i = e.argumentExpression;
      const part = ts.isNumericLiteral(i) ? this.partOf(e.expression, scope, Number(i.text), d) : undefined;
      return part ? this.extents(part, d) : this.extent(e.expression, scope, d);
    }
    if (ts.isArrayLiteralExpression(e))
      return union(e.elements.map((x) => (ts.isSpreadElement(x) ? ANY : this.extent(x, scope, d))));
    // `masks[side]` of `{ even: tf.tensor1d(...), odd: ... }`: any of its values.
    if (ts.isObjectLiteralExpression(e))
      return union(
        e.properties.map((p) =>
          ts.isPropertyAssignment(p)
            ? this.extent(p.initializer, scope, d)
            : ts.isShorthandPropertyAssignment(p)
              ? this.extent(p.name, scope, d)
              : ANY,
        ),
      );
    if (ts.isCallExpression(e)) return this.call(e, scope, d);
    return ANY;
  }

  private leafExtent(
    e: ts.Identifier | ts.PropertyAccessExpression,
    scope: Scope | undefined,
    d: number,
  ): Extent {
    const leaf = this.bindings(e, scope, d);
    if (Array.isArray(leaf)) return this.extents(this.pick(e, leaf), d);
    switch (leaf.kind) {
      case 'number':
        return point(leaf.value);
      case 'constant':
        return FINITE;
      case 'parameter':
        return { ...FINITE, param: true };
      case 'tensor':
        return ANY;
    }
  }

  private mathConstant(e: ts.Expression, scope: Scope | undefined, d: number): Extent | undefined {
    if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'Math') {
      if (e.name.text === 'PI') return point(Math.PI);
      if (e.name.text === 'E') return point(Math.E);
      return undefined;
    }
    if (
      ts.isCallExpression(e) &&
      ts.isPropertyAccessExpression(e.expression) &&
      ts.isIdentifier(e.expression.expression) &&
      e.expression.expression.text === 'Math'
    ) {
      const f = MATH[e.expression.name.text];
      const xs = e.arguments.map((a) => this.extent(a, scope, d));
      if (f && xs.every((x) => isNum(x.lo) && x.lo === x.hi))
        return point(f(...xs.map((x) => x.lo as number)));
      return xs.every(bounded) ? FINITE : ANY;
    }
    return undefined;
  }

  private binary(e: ts.BinaryExpression, scope: Scope | undefined, d: number): Extent {
    const k = e.operatorToken.kind;
    if (k === ts.SyntaxKind.QuestionQuestionToken || k === ts.SyntaxKind.BarBarToken)
      return union([this.extent(e.left, scope, d), this.extent(e.right, scope, d)]);
    const ar = this.arith(e);
    return ar ? this.arithmetic(e, ar, scope, d) : ANY;
  }

  private arithmetic(node: ts.Expression, ar: Arith, scope: Scope | undefined, d: number): Extent {
    const sides = ar.op === 'add' ? this.mix(ar, scope, d) : undefined;
    if (sides) return union(this.pick(node, sides).map((side) => this.product(side, d)));
    const a = this.extent(ar.a, scope, d);
    const b = this.extent(ar.b, scope, d);
    switch (ar.op) {
      case 'add':
        return add(a, b);
      case 'sub':
        return add(a, neg(b));
      case 'mul':
        return mul(a, b);
      case 'div':
        return mul(a, reciprocal(b));
    }
  }

  private product(side: Side, d: number): Extent {
    return side.factors.reduce((acc, f) => mul(acc, this.extent(f.e, f.scope, d)), point(1));
  }

  /** `e`'s factors: the operands of its products, through locals defined once. */
  private factors(e: ts.Expression, scope: Scope | undefined, d: number): Side['factors'] {
    e = strip(e);
    if (d > MAX_DEPTH) return [{ e, scope }];
    const ar = this.arith(e);
    if (ar?.op === 'mul') return [...this.factors(ar.a, scope, d + 1), ...this.factors(ar.b, scope, d + 1)];
    if (ts.isIdentifier(e)) {
      const l = this.bindings(e, scope, d + 1);
      if (Array.isArray(l) && l.length === 1) return this.factors(l[0]!.bound, l[0]!.scope, d + 1);
    }
    return [{ e, scope }];
  }

  /** Names a mask `m` or its complement `1 - m` by what `m` resolves to, so both mentions compare equal. */
  private maskKey(
    e: ts.Expression,
    scope: Scope | undefined,
    d: number,
  ): { key: string; complement: boolean; mask: { e: ts.Expression; scope: Scope | undefined } } | undefined {
    e = strip(e);
    if (d > MAX_DEPTH) return undefined;
    const ar = this.arith(e);
    if (ar?.op === 'sub' && isOne(ar.a)) {
      const m = this.maskKey(ar.b, scope, d + 1);
      return m && { ...m, complement: !m.complement };
    }
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
      const l = this.bindings(e, scope, d + 1);
      if (Array.isArray(l) && l.length === 1) return this.maskKey(l[0]!.bound, l[0]!.scope, d + 1);
      return { key: `name:${e.getText()}`, complement: false, mask: { e, scope } };
    }
    if (ar) return undefined;
    return { key: `at:${e.getSourceFile().fileName}:${e.pos}`, complement: false, mask: { e, scope } };
  }

  /**
   * RealNVP's binary masks: `m * a + (1 - m) * b` (`s.mul(1 - mask).add(mask)`: a = 1) with m in [0, 1] is,
   * elementwise, a value between a and b: the two sides' rests. A mask not known to lie in [0, 1] (a constant
   * tensor from the config) is presumed to, as its complement `1 - m` says; one that depends on the input is not.
   */
  private mix(ar: Arith, scope: Scope | undefined, d: number): [Side, Side] | undefined {
    const left = this.factors(ar.a, scope, d);
    const right = this.factors(ar.b, scope, d);
    if (left.length + right.length > 8) return undefined;
    const keys = (fs: Side['factors']) => fs.map((f) => this.maskKey(f.e, f.scope, d));
    const [kl, kr] = [keys(left), keys(right)];
    for (const [i, x] of kl.entries()) {
      for (const [j, y] of kr.entries()) {
        if (!x || !y || x.key !== y.key || x.complement === y.complement) continue;
        const m = x.complement ? y.mask : x.mask;
        const ext = this.extent(m.e, m.scope, d);
        const inUnit = (end: End): boolean => !isNum(end) || (end >= 0 && end <= 1);
        if (ext.data || !bounded(ext) || !inUnit(ext.lo) || !inUnit(ext.hi)) continue;
        // A known number (`eps + (1 - eps) * s`) is plain arithmetic, which reads it more closely.
        if (isNum(ext.lo) && ext.lo === ext.hi) continue;
        return [{ factors: left.filter((_, k) => k !== i) }, { factors: right.filter((_, k) => k !== j) }];
      }
    }
    return undefined;
  }

  private call(e: ts.CallExpression, scope: Scope | undefined, d: number): Extent {
    const use = this.r.op(e);
    if (use) return this.op(e, use, scope, d);
    const inl = this.inlined(e, scope);
    if (inl) return this.extents(this.pick(e, inl), d);
    // `this.logScale.read()`: the variable's value.
    if (
      ts.isPropertyAccessExpression(e.expression) &&
      e.expression.name.text === 'read' &&
      !e.arguments.length
    )
      return this.extent(e.expression.expression, scope, d);
    const act = this.r.applied(e);
    const range = act === undefined ? undefined : ACTIVATION_RANGE[act];
    if (range) return { lo: range[0], hi: range[1], data: true, param: false, by: range[2] };
    return ANY;
  }

  private op(node: ts.CallExpression, use: OpRead, scope: Scope | undefined, d: number): Extent {
    const x = (i: number): Extent | undefined => {
      const o = use.operands[i];
      return o ? this.extent(o, scope, d) : undefined;
    };
    const ar = this.arith(node);
    if (ar) return this.arithmetic(node, ar, scope, d);
    const a = x(0) ?? ANY;
    switch (use.op) {
      case 'exp':
        return monotone(a, Math.exp, 'pos');
      case 'sigmoid':
        return monotone(a, sigmoid, 'pos', 'bounded');
      case 'softplus':
        return monotone(a, softplus, 'pos');
      case 'tanh':
        return monotone(a, Math.tanh, 'finite', 'tanh');
      case 'atan':
        return monotone(a, Math.atan, 'finite', 'atan');
      case 'erf':
      case 'sin':
      case 'cos':
        return { ...a, lo: -1, hi: 1, ...(bounded(a) ? {} : { by: 'bounded' as const }) };
      case 'neg':
        return neg(a);
      case 'reciprocal':
        return reciprocal(a);
      case 'clipByValue':
        return clip(a, x(1), x(2));
      case 'maximum':
        return clip(a, x(1), undefined);
      case 'minimum':
        return clip(a, undefined, x(1));
      case 'onesLike':
      case 'ones':
        return point(1);
      case 'zeros':
      case 'zerosLike':
        return point(0);
      case 'fill':
        return constantOf(x(1));
      case 'variable':
        return { ...FINITE, param: true };
    }
    if (SHAPE_OPS.has(use.op)) return a;
    // `tf.tensor1d([1, 0, 1, 0])`: its values when they are read.
    if (TENSOR_OPS.has(use.op)) return constantOf(a);
    if (CONSTANT_OPS.has(use.op)) return FINITE;
    return ANY;
  }

  /**
   * Follows the scale's own chain down to the ops that form it: through locals, inlined helpers, shape ops,
   * constant shifts and factors (`sigmoid(h) * (1 - eps) + eps`) and masked mixes, to `exp`, `sigmoid`,
   * `softplus` or a layer application. A value chosen among several (a conditional, an if/else, a helper's
   * returns) gives one core per alternative, with the choices that lead to it.
   */
  core(e: ts.Expression, scope: Scope | undefined, depth: number, ch: Choices): Core[] {
    e = strip(e);
    if (depth > MAX_DEPTH || --this.budget < 0) return [];
    const d = depth + 1;
    /** Each alternative's cores, the choice made. */
    const each = (node: ts.Node, alts: readonly Binding[]): Core[] => {
      if (alts.length === 1) return this.core(alts[0]!.bound, alts[0]!.scope, d, ch);
      const out: Core[] = [];
      alts.forEach((b, i) => {
        if (out.length < MAX_ALTERNATIVES)
          out.push(...this.core(b.bound, b.scope, d, new Map([...ch, [node, i]])));
      });
      return out;
    };
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
      const l = this.bindings(e, scope, d);
      return Array.isArray(l) ? each(e, l) : [];
    }
    if (ts.isConditionalExpression(e))
      return each(
        e,
        [e.whenTrue, e.whenFalse].map((bound) => ({ bound, scope })),
      );
    const ar = this.arith(e);
    if (ar) return this.arithCore(e, ar, scope, d, ch);
    if (!ts.isCallExpression(e)) return [];
    const use = this.r.op(e);
    if (!use) {
      const inl = this.inlined(e, scope);
      if (inl) return each(e, inl);
      return this.r.applied(e) !== undefined ? [{ op: 'apply', node: e, scope, choices: ch }] : [];
    }
    const [a] = use.operands;
    if (SCALE_OPS.has(use.op) && a) return [{ op: use.op, node: e, arg: a, scope, choices: ch }];
    if ((use.op === 'reciprocal' || SHAPE_OPS.has(use.op)) && a) return this.core(a, scope, d, ch);
    return [];
  }

  private arithCore(
    node: ts.Expression,
    ar: Arith,
    scope: Scope | undefined,
    d: number,
    ch: Choices,
  ): Core[] {
    const varies = (f: { e: ts.Expression; scope: Scope | undefined }): boolean => {
      const x = this.extent(f.e, f.scope, d);
      return x.data || x.param;
    };
    /** The factor that varies is the scale; the others are constant factors. */
    const ofFactors = (fs: Side['factors'], choices: Choices): Core[] => {
      const v = fs.filter(varies);
      return v.length === 1 ? this.core(v[0]!.e, v[0]!.scope, d, choices) : [];
    };
    const sides = ar.op === 'add' ? this.mix(ar, scope, d) : undefined;
    if (sides) return sides.flatMap((side, i) => ofFactors(side.factors, new Map([...ch, [node, i]])));
    // The operand that varies is the scale; the other is a constant shift or factor.
    return ofFactors(
      [
        { e: ar.a, scope },
        { e: ar.b, scope },
      ],
      ch,
    );
  }
}

/** A constant tensor's values: what it is made of, when that is known and constant in the input. */
function constantOf(x: Extent | undefined): Extent {
  return x && bounded(x) && !x.data && !x.param ? x : FINITE;
}

export interface Core {
  op: string;
  node: ts.CallExpression;
  arg?: ts.Expression;
  scope: Scope | undefined;
  /** The alternatives chosen on the way to this op. */
  choices: Choices;
}

function isOne(e: ts.Expression): boolean {
  const x = strip(e);
  return ts.isNumericLiteral(x) && Number(x.text) === 1;
}
