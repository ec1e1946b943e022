/**
 * How an affine transform forms its scale, read from the TS AST. `y2 = x2 * s + t` inverts by dividing by s, so
 * along x2 its gain is max|s| and its inverse's 1/min|s| (swapped when the forward pass divides: `x2 / s`).
 * Whether `exp(h)` is bounded depends on h: each subexpression gets a sound interval (`Extent`), and the form
 * names what bounds the scale (`exp(c * tanh(h / c))`, `exp(clipByValue(h, a, b))`, `sigmoid(h + 2) + eps`) or
 * that nothing does (`exp(h)`, `sigmoid(h)`). No tfjs and no interpreter here: the caller supplies a resolver.
 */
import { ts } from 'ts-morph';
import type { ScaleForm, ScaleGain, ScaleGains } from '../ir/model-ir';

/** A tensor op a call performs: `tf.exp(h)` -> exp [h]; `h.add(2)` -> add [h, 2] (the receiver first). */
export interface OpRead {
  op: string;
  operands: readonly ts.Expression[];
}

/**
 * A definition: `expr`, or with `key` one part of it (`const { scale } = this.params(x)`: key 'scale';
 * `const [s, t] = this.split(x)`: key 1 for t).
 */
export interface Def {
  expr: ts.Expression;
  key?: string | number;
}

/** What a name (`h`, `this.clamp`) stands for. */
export type Leaf =
  /** Read these instead: a local's definition, a field's initializers (several: their union). */
  | { kind: 'expr'; defs: readonly Def[] }
  | { kind: 'number'; value: number }
  /** A number not known statically (`this.clamp` set from the layer's config). */
  | { kind: 'constant' }
  /** A learned weight (`this.addWeight(...)`, `tf.variable(...)`): finite for given weights, not over training. */
  | { kind: 'parameter' }
  /** Data: the layer's input, or a tensor not traced further. Presumed unbounded. */
  | { kind: 'tensor' };

/** A function to inline: a class helper (`this.scale(h)`), a local arrow, `tf.tidy(() => ...)`. */
export interface Inlined {
  fn: ts.SignatureDeclaration;
  args: readonly ts.Expression[];
}

export interface ScaleResolver {
  op(call: ts.CallExpression): OpRead | undefined;
  leaf(e: ts.Identifier | ts.PropertyAccessExpression): Leaf;
  inline(call: ts.CallExpression): Inlined | undefined;
  /** `net.apply(x)`: the activation of the applied layer's output (`'linear'` when none); else undefined. */
  applied(call: ts.CallExpression): string | undefined;
}

export interface ScaleReading {
  form: ScaleForm;
  /** The op that forms the scale (`exp`, `sigmoid`, `softplus`), or the layer application for `identity`. */
  anchor?: ts.Node;
  /** x2-direction gains of the forward pass and of the inverse. */
  gains: ScaleGains;
}

/** An interval endpoint: a number (`±Infinity`: unbounded that way), `'finite'` (unknown), `'pos'` (> 0). */
type End = number | 'finite' | 'pos';

/** What bounded a quantity, for the form's name. */
type Bounder = 'tanh' | 'atan' | 'clip' | 'bounded';

/** A sound over-approximation of the values an expression takes. */
interface Extent {
  lo: End;
  hi: End;
  /** Depends on the input (the conditioner's output, x): what makes a scale vary. */
  data: boolean;
  /** Finite only because a learned weight is (ActNorm's log-scale). */
  param: boolean;
  by?: Bounder;
}

const ANY: Extent = { lo: -Infinity, hi: Infinity, data: true, param: false };
const UNKNOWN: ScaleGains = { forward: 'unknown', inverse: 'unknown' };
const MAX_DEPTH = 24;
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

/** A function's `return` expression when it has exactly one (nested functions excluded). */
export function returnedExpression(fn: ts.SignatureDeclaration): ts.Expression | undefined {
  if (!ts.isFunctionLike(fn)) return undefined;
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return body;
  const found: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isReturnStatement(n)) {
      if (n.expression) found.push(n.expression);
    } else if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Local definitions by name: `const x = e`, `let x; x = e`, and destructuring (`const [a, b] = e`,
 * `const { s, t } = e`: parts of e). Nested functions are read too (`tf.tidy`).
 */
export class Locals {
  private defs = new Map<string, (Def & { fn: ts.Node | undefined })[]>();

  collect(root: ts.Node): this {
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && n.initializer) this.bind(n.name, n.initializer);
      else if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isIdentifier(n.left)
      )
        this.add(n.left.text, n.right);
      ts.forEachChild(n, visit);
    };
    visit(root);
    return this;
  }

  private bind(name: ts.BindingName, init: ts.Expression): void {
    if (ts.isIdentifier(name)) {
      this.add(name.text, init);
      return;
    }
    name.elements.forEach((el, i) => {
      if (!ts.isBindingElement(el) || el.dotDotDotToken || !ts.isIdentifier(el.name)) return;
      const prop = el.propertyName;
      let key: string | number = el.name.text;
      if (ts.isArrayBindingPattern(name)) key = i;
      else if (prop && (ts.isIdentifier(prop) || ts.isStringLiteral(prop))) key = prop.text;
      this.add(el.name.text, init, key);
    });
  }

  add(name: string, expr: ts.Expression, key?: string | number): void {
    const list = this.defs.get(name) ?? [];
    const fn = enclosingFunction(expr);
    list.push(key === undefined ? { expr, fn } : { expr, key, fn });
    this.defs.set(name, list);
  }

  /** Whether `name` is defined in a function that encloses `use`. */
  has(name: string, use: ts.Node): boolean {
    return !!this.defs.get(name)?.some((d) => !d.fn || containsNode(d.fn, use));
  }

  /** The definition that reaches `use`: the last one ending before it (so `s = tf.tanh(s)` reads the old s). */
  at(name: string, use: ts.Node): Def | undefined {
    // Only definitions in a function that encloses the use are in scope.
    const list = this.defs.get(name)?.filter((d) => !d.fn || containsNode(d.fn, use));
    if (!list?.length) return undefined;
    let best: Def | undefined;
    for (const d of list) if (d.expr.end <= use.pos && (!best || d.expr.end > best.expr.end)) best = d;
    const only = list.length === 1 && !containsNode(list[0]!.expr, use) ? list[0] : undefined;
    const found = best ?? only;
    if (!found) return undefined;
    return found.key === undefined ? { expr: found.expr } : { expr: found.expr, key: found.key };
  }
}

function enclosingFunction(n: ts.Node): ts.Node | undefined {
  for (let p = n.parent as ts.Node | undefined; p; p = p.parent)
    if (ts.isFunctionLike(p) && !ts.isFunctionTypeNode(p)) return p;
  return undefined;
}

function containsNode(outer: ts.Node, inner: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end;
}

/** Names bound while inlining a function: its parameters (read in the caller's scope) and its locals. */
interface Scope {
  params: Map<string, { expr: ts.Expression; scope: Scope | undefined }>;
  locals: Locals;
  outer: Scope | undefined;
}

export function strip(e: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isTypeAssertionExpression(e) ||
    ts.isSatisfiesExpression(e)
  )
    e = e.expression;
  return e;
}

const isNum = (e: End): e is number => typeof e === 'number';
const isInf = (e: End): boolean => isNum(e) && !Number.isFinite(e);
const positive = (e: End): boolean => e === 'pos' || (isNum(e) && e > 0);
const nonNegative = (e: End): boolean => e === 'pos' || (isNum(e) && e >= 0);

function point(value: number): Extent {
  return { lo: value, hi: value, data: false, param: false };
}

function addEnd(a: End, b: End, side: 'lo' | 'hi'): End {
  if (isInf(a) || isInf(b)) {
    if (isInf(a) && isInf(b) && a !== b) return side === 'lo' ? -Infinity : Infinity;
    return isInf(a) ? a : b;
  }
  if (isNum(a) && isNum(b)) return a + b;
  if (positive(a) ? nonNegative(b) : positive(b) && nonNegative(a)) return 'pos';
  return 'finite';
}

function negEnd(a: End): End {
  return isNum(a) ? -a : 'finite';
}

function join(a: Extent, b: Extent, lo: End, hi: End): Extent {
  const out: Extent = { lo, hi, data: a.data || b.data, param: a.param || b.param };
  const by = (a.data || a.param ? a.by : undefined) ?? (b.data || b.param ? b.by : undefined);
  if (by) out.by = by;
  return out;
}

function add(a: Extent, b: Extent): Extent {
  return join(a, b, addEnd(a.lo, b.lo, 'lo'), addEnd(a.hi, b.hi, 'hi'));
}

function neg(a: Extent): Extent {
  return { ...a, lo: negEnd(a.hi), hi: negEnd(a.lo) };
}

function bounded(e: Extent): boolean {
  return !isInf(e.lo) && !isInf(e.hi);
}

/** Zero times anything is zero here: the unbounded side of an interval is never attained. */
function mulNum(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}

function mul(a: Extent, b: Extent): Extent {
  if (isNum(a.lo) && isNum(a.hi) && isNum(b.lo) && isNum(b.hi)) {
    const c = [mulNum(a.lo, b.lo), mulNum(a.lo, b.hi), mulNum(a.hi, b.lo), mulNum(a.hi, b.hi)];
    return join(a, b, Math.min(...c), Math.max(...c));
  }
  // One side a known constant c: scale the other's ends.
  for (const [k, x] of [
    [a, b],
    [b, a],
  ] as const) {
    if (isNum(k.lo) && k.lo === k.hi) {
      const c = k.lo;
      if (c === 0) return join(a, b, 0, 0);
      const scale = (e: End): End => (isNum(e) ? e * c : c > 0 ? e : 'finite');
      const [lo, hi] = c > 0 ? [scale(x.lo), scale(x.hi)] : [scale(x.hi), scale(x.lo)];
      return join(a, b, lo, hi);
    }
  }
  if (bounded(a) && bounded(b))
    return join(a, b, positive(a.lo) && positive(b.lo) ? 'pos' : 'finite', 'finite');
  return join(a, b, -Infinity, Infinity);
}

function reciprocal(a: Extent): Extent {
  if (isNum(a.lo) && isNum(a.hi) && (a.lo > 0 || a.hi < 0)) return { ...a, lo: 1 / a.hi, hi: 1 / a.lo };
  if (positive(a.lo)) return { ...a, lo: isNum(a.hi) ? 1 / a.hi : 'pos', hi: 'pos' };
  return { ...a, lo: -Infinity, hi: Infinity };
}

/** A monotone increasing f applied to both ends; `unknown` is what f gives a finite unknown end. */
function monotone(a: Extent, f: (x: number) => number, unknown: End, by?: Bounder): Extent {
  const m = (e: End): End => (isNum(e) ? f(e) : unknown);
  const out: Extent = { ...a, lo: m(a.lo), hi: m(a.hi) };
  // The op is what bounds the result when its argument was not bounded.
  if (by && !bounded(a)) out.by = by;
  return out;
}

function maxEnd(a: End, b: End): End {
  if (isNum(a) && isNum(b)) return Math.max(a, b);
  if (a === Infinity || b === Infinity) return Infinity;
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return positive(a) || positive(b) ? 'pos' : 'finite';
}

function minEnd(a: End, b: End): End {
  if (isNum(a) && isNum(b)) return Math.min(a, b);
  if (a === -Infinity || b === -Infinity) return -Infinity;
  if (a === Infinity) return b;
  if (b === Infinity) return a;
  return positive(a) && positive(b) ? 'pos' : 'finite';
}

/** max(x, a) and min(x, b), elementwise: both ends move (max(tanh(h), 5) is 5). */
function clip(x: Extent, lo: Extent | undefined, hi: Extent | undefined): Extent {
  let out: Extent = { ...x };
  if (lo)
    out = { ...out, lo: maxEnd(out.lo, lo.lo), hi: maxEnd(out.hi, lo.hi), param: out.param || lo.param };
  if (hi)
    out = { ...out, lo: minEnd(out.lo, hi.lo), hi: minEnd(out.hi, hi.hi), param: out.param || hi.param };
  if (bounded(out) && !bounded(x)) out.by = 'clip';
  return out;
}

function union(list: readonly Extent[]): Extent {
  const [first, ...rest] = list;
  if (!first) return ANY;
  return rest.reduce((a, b) => ({ ...join(a, b, minEnd(a.lo, b.lo), maxEnd(a.hi, b.hi)) }), first);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));

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

class Reader {
  /** Extents already read, per node and scope: locals used many times are read once. */
  private memo = new Map<ts.Node, Map<Scope | undefined, Extent>>();
  /** Work left: a file the reader cannot finish quickly gets unknowns, never a hang. */
  private budget = MAX_STEPS;

  constructor(private r: ScaleResolver) {}

  /** What `e` stands for: bindings (a parameter of an inlined function, a local, a field) or a leaf. */
  private lookup(
    e: ts.Identifier | ts.PropertyAccessExpression,
    scope: Scope | undefined,
  ): Exclude<Leaf, { kind: 'expr' }> | Binding[] {
    if (ts.isIdentifier(e)) {
      for (let s = scope; s; s = s.outer) {
        const p = s.params.get(e.text);
        if (p) return [{ bound: p.expr, scope: p.scope }];
        const def = s.locals.at(e.text, e);
        if (def) return [{ bound: def.expr, scope: s, ...(def.key === undefined ? {} : { key: def.key }) }];
        if (s.locals.has(e.text, e)) return { kind: 'tensor' };
      }
    }
    const leaf = this.r.leaf(e);
    if (leaf.kind !== 'expr') return leaf;
    return leaf.defs.map((d) => ({
      bound: d.expr,
      scope: undefined,
      ...(d.key === undefined ? {} : { key: d.key }),
    }));
  }

  /** What a binding stands for once its key picks a part; the whole when the part cannot be picked. */
  private resolved(b: Binding, d: number): Binding[] {
    if (b.key === undefined) return [b];
    return this.partOf(b.bound, b.scope, b.key, d) ?? [{ bound: b.bound, scope: b.scope }];
  }

  /**
   * The part `key` of what `e` evaluates to: a property of a returned object literal, an element of a returned
   * array. Undefined when it cannot be picked: a part of a tensor (a split) has the tensor's extent.
   */
  private partOf(
    e: ts.Expression,
    scope: Scope | undefined,
    key: string | number,
    depth: number,
  ): Binding[] | undefined {
    e = strip(e);
    if (depth > MAX_DEPTH) return undefined;
    const d = depth + 1;
    if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        const name =
          p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
        if (name !== key) continue;
        if (ts.isPropertyAssignment(p)) return [{ bound: p.initializer, scope }];
        if (ts.isShorthandPropertyAssignment(p)) return [{ bound: p.name, scope }];
      }
      return undefined;
    }
    if (ts.isArrayLiteralExpression(e)) {
      const el = typeof key === 'number' ? e.elements[key] : undefined;
      return el && !ts.isSpreadElement(el) && !ts.isOmittedExpression(el)
        ? [{ bound: el, scope }]
        : undefined;
    }
    if (ts.isConditionalExpression(e)) {
      const a = this.partOf(e.whenTrue, scope, key, d);
      const b = this.partOf(e.whenFalse, scope, key, d);
      return a && b ? [...a, ...b] : undefined;
    }
    if (ts.isIdentifier(e)) {
      const l = this.lookup(e, scope);
      if (!Array.isArray(l)) return undefined;
      const out: Binding[] = [];
      for (const b of l.flatMap((x) => this.resolved(x, d))) {
        const part = this.partOf(b.bound, b.scope, key, d);
        if (!part) return undefined;
        out.push(...part);
      }
      return out;
    }
    if (ts.isCallExpression(e)) {
      const inl = this.inlined(e, scope);
      if (inl) return this.partOf(inl.bound, inl.scope, key, d);
    }
    return undefined;
  }

  private inlined(call: ts.CallExpression, scope: Scope | undefined): Binding | undefined {
    const f = this.r.inline(call);
    const body = f && returnedExpression(f.fn);
    if (!f || !body) return undefined;
    const inner: Scope = {
      params: new Map(),
      locals: ts.isFunctionLike(f.fn) ? new Locals().collect(f.fn) : new Locals(),
      outer: undefined,
    };
    f.fn.parameters.forEach((p, i) => {
      const arg = f.args[i];
      if (ts.isIdentifier(p.name) && arg) inner.params.set(p.name.text, { expr: arg, scope });
    });
    return { bound: body, scope: inner };
  }

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

  private read(e: ts.Expression, scope: Scope | undefined, d: number): Extent {
    if (ts.isNumericLiteral(e)) return point(Number(e.text));
    if (ts.isPrefixUnaryExpression(e)) {
      const x = this.extent(e.operand, scope, d);
      if (e.operator === ts.SyntaxKind.MinusToken) return neg(x);
      if (e.operator === ts.SyntaxKind.PlusToken) return x;
      return ANY;
    }
    if (ts.isConditionalExpression(e))
      return union([this.extent(e.whenTrue, scope, d), this.extent(e.whenFalse, scope, d)]);
    if (ts.isBinaryExpression(e)) return this.binary(e, scope, d);
    const math = this.mathConstant(e, scope, d);
    if (math !== undefined) return math;
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) return this.leafExtent(e, scope, d);
    if (ts.isElementAccessExpression(e)) {
      const i = e.argumentExpression;
      const part = ts.isNumericLiteral(i) ? this.partOf(e.expression, scope, Number(i.text), d) : undefined;
      return part
        ? union(part.map((b) => this.extent(b.bound, b.scope, d)))
        : this.extent(e.expression, scope, d);
    }
    if (ts.isArrayLiteralExpression(e))
      return union(e.elements.map((x) => (ts.isSpreadElement(x) ? ANY : this.extent(x, scope, d))));
    if (ts.isCallExpression(e)) return this.call(e, scope, d);
    return ANY;
  }

  private leafExtent(
    e: ts.Identifier | ts.PropertyAccessExpression,
    scope: Scope | undefined,
    d: number,
  ): Extent {
    const leaf = this.lookup(e, scope);
    if (Array.isArray(leaf))
      return union(leaf.flatMap((b) => this.resolved(b, d)).map((b) => this.extent(b.bound, b.scope, d)));
    switch (leaf.kind) {
      case 'number':
        return point(leaf.value);
      case 'constant':
        return { lo: 'finite', hi: 'finite', data: false, param: false };
      case 'parameter':
        return { lo: 'finite', hi: 'finite', data: false, param: true };
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
      return xs.every(bounded) ? { lo: 'finite', hi: 'finite', data: false, param: false } : ANY;
    }
    return undefined;
  }

  private binary(e: ts.BinaryExpression, scope: Scope | undefined, d: number): Extent {
    const k = e.operatorToken.kind;
    const a = (): Extent => this.extent(e.left, scope, d);
    const b = (): Extent => this.extent(e.right, scope, d);
    switch (k) {
      case ts.SyntaxKind.PlusToken:
        return add(a(), b());
      case ts.SyntaxKind.MinusToken:
        return add(a(), neg(b()));
      case ts.SyntaxKind.AsteriskToken:
        return mul(a(), b());
      case ts.SyntaxKind.SlashToken:
        return mul(a(), reciprocal(b()));
      case ts.SyntaxKind.QuestionQuestionToken:
      case ts.SyntaxKind.BarBarToken:
        return union([a(), b()]);
    }
    return ANY;
  }

  private call(e: ts.CallExpression, scope: Scope | undefined, d: number): Extent {
    const use = this.r.op(e);
    if (use) return this.op(use, scope, d);
    const inl = this.inlined(e, scope);
    if (inl) return this.extent(inl.bound, inl.scope, d);
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

  private op(use: OpRead, scope: Scope | undefined, d: number): Extent {
    const x = (i: number): Extent | undefined => {
      const o = use.operands[i];
      return o ? this.extent(o, scope, d) : undefined;
    };
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
        return { ...a, lo: -1, hi: 1, ...(bounded(a) ? {} : { by: 'bounded' as const }) };
      case 'sin':
      case 'cos':
        return { ...a, lo: -1, hi: 1, ...(bounded(a) ? {} : { by: 'bounded' as const }) };
      case 'neg':
        return neg(a);
      case 'add':
        return add(a, x(1) ?? ANY);
      case 'sub':
        return add(a, neg(x(1) ?? ANY));
      case 'mul':
        return mul(a, x(1) ?? ANY);
      case 'div':
        return mul(a, reciprocal(x(1) ?? ANY));
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
    }
    if (SHAPE_OPS.has(use.op)) return a;
    if (CONSTANT_OPS.has(use.op)) return { lo: 'finite', hi: 'finite', data: false, param: false };
    return ANY;
  }

  /**
   * Follows the scale's own chain down to the op that forms it: through locals, inlined helpers, shape ops and
   * constant shifts and factors (`sigmoid(h) * (1 - eps) + eps`), to `exp`, `sigmoid`, `softplus` or a layer
   * application.
   */
  core(e: ts.Expression, scope: Scope | undefined, depth: number): Core | undefined {
    e = strip(e);
    if (depth > MAX_DEPTH || --this.budget < 0) return undefined;
    const d = depth + 1;
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
      const leaf = this.lookup(e, scope);
      const found = Array.isArray(leaf) ? leaf.flatMap((b) => this.resolved(b, d)) : [];
      return found.length === 1 ? this.core(found[0]!.bound, found[0]!.scope, d) : undefined;
    }
    if (ts.isBinaryExpression(e)) return undefined;
    if (!ts.isCallExpression(e)) return undefined;
    const use = this.r.op(e);
    if (!use) {
      const inl = this.inlined(e, scope);
      if (inl) return this.core(inl.bound, inl.scope, d);
      return this.r.applied(e) !== undefined ? { op: 'apply', node: e, scope } : undefined;
    }
    const [a, b] = use.operands;
    if (['exp', 'sigmoid', 'softplus'].includes(use.op) && a) return { op: use.op, node: e, arg: a, scope };
    if (['add', 'sub', 'mul', 'div'].includes(use.op) && a && b) {
      // The operand that varies is the scale; the other is a constant shift or factor.
      const [ea, eb] = [this.extent(a, scope, d), this.extent(b, scope, d)];
      const varies = (x: Extent): boolean => x.data || x.param;
      if (varies(ea) && !varies(eb)) return this.core(a, scope, d);
      if (varies(eb) && !varies(ea)) return this.core(b, scope, d);
      return undefined;
    }
    if ((use.op === 'reciprocal' || SHAPE_OPS.has(use.op)) && a) return this.core(a, scope, d);
    return undefined;
  }
}

interface Binding {
  bound: ts.Expression;
  scope: Scope | undefined;
  key?: string | number;
}

interface Core {
  op: string;
  node: ts.CallExpression;
  arg?: ts.Expression;
  scope: Scope | undefined;
}

/** Gains of multiplying by a value in [lo, hi]: sup|s| and 1/inf|s|. */
function gainsOf(s: Extent): ScaleGains {
  let forward: ScaleGain = 'unknown';
  if (isInf(s.lo) || isInf(s.hi)) forward = 'unbounded';
  else if (isNum(s.lo) && isNum(s.hi)) forward = Math.max(Math.abs(s.lo), Math.abs(s.hi));
  let inverse: ScaleGain = 'unknown';
  const reachesZero = isNum(s.lo) && s.lo <= 0 && nonNegative(s.hi);
  if (reachesZero) inverse = 'unbounded';
  else if (isNum(s.lo) && s.lo > 0) inverse = 1 / s.lo;
  else if (isNum(s.hi) && s.hi < 0) inverse = 1 / -s.hi;
  return { forward, inverse };
}

function reachesZero(s: Extent): boolean {
  return isNum(s.lo) && s.lo <= 0 && nonNegative(s.hi);
}

function boundedName(by: Bounder | undefined): ScaleForm {
  if (by === 'tanh') return 'bounded-tanh';
  if (by === 'atan') return 'soft-clamp';
  return 'clamped';
}

/**
 * Classifies the scale `e` multiplying x2 (`x2 * e`), or dividing it when `divides` (`x2 / e`). Unresolved data
 * (the conditioner's output) is presumed unbounded; a number not known statically gives unknown gains, never a
 * guessed one.
 */
export function classifyScale(e: ts.Expression, resolver: ScaleResolver, divides = false): ScaleReading {
  const reader = new Reader(resolver);
  const core = reader.core(e, undefined, 0);
  if (!core) return { form: 'unknown', gains: UNKNOWN };
  const s = reader.extent(e, undefined, 0);
  const g = gainsOf(s);
  const gains: ScaleGains = divides ? { forward: g.inverse, inverse: g.forward } : g;
  const anchor = core.node;
  if (core.op === 'apply') return { form: 'identity', anchor, gains };
  const arg = reader.extent(core.arg!, core.scope, 0);
  let form: ScaleForm;
  if (core.op === 'exp') {
    if (!bounded(arg)) form = 'exp';
    else form = arg.param ? 'learned-param' : boundedName(arg.by);
  } else {
    const name = core.op as 'sigmoid' | 'softplus';
    if (reachesZero(s)) form = name;
    else if (arg.lo === -Infinity) form = name === 'sigmoid' ? 'sigmoid-floor' : 'softplus-floor';
    else form = arg.param && !arg.data ? 'learned-param' : 'clamped';
  }
  return { form, anchor, gains };
}

/** Whether `e` depends on the input (data) or on learned weights, as the scale reader sees it. */
export function varies(e: ts.Expression, resolver: ScaleResolver): { data: boolean; param: boolean } {
  const x = new Reader(resolver).extent(e, undefined, 0);
  return { data: x.data, param: x.param };
}

/** Scale forms whose inverse gain has no bound for any weights: reported by unbounded-coupling-scale. */
export const UNBOUNDED_SCALES: ReadonlySet<ScaleForm> = new Set<ScaleForm>(['exp', 'sigmoid', 'softplus']);

/** The scale and the data it multiplies in a mul or div: `x2 * s`, `s * x2`, `x2 / s`. */
export function scaleOperand(
  use: OpRead,
  isData: (e: ts.Expression) => boolean,
): { scale: ts.Expression; data: ts.Expression; divides: boolean } | undefined {
  if (use.operands.length !== 2) return undefined;
  const [a, b] = use.operands as [ts.Expression, ts.Expression];
  if (use.op === 'div') return isData(a) && !isData(b) ? { scale: b, data: a, divides: true } : undefined;
  if (use.op !== 'mul') return undefined;
  if (isData(a) && !isData(b)) return { scale: b, data: a, divides: false };
  if (isData(b) && !isData(a)) return { scale: a, data: b, divides: false };
  return undefined;
}
