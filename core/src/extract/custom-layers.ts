/**
 * Custom layer classes (`class X extends tf.layers.Layer`): what `call()` computes, read syntactically, and the
 * hand-written couplings and residual layers among them.
 */
import { ts } from 'ts-morph';
import type { BlockNode, CustomLayerInfo, OpNode, ScaleForm, Wiring } from '../ir/model-ir';
import type { Interp } from './interpreter';
import { readMarks } from './jsdoc';
import { INVERTIBLE_LENS_LAYERS, lensLayerName, makeLayer } from './layers';
import type { ModuleCtx } from './module';
import { Env, unknown, type Val } from './values';

type ClassVal = Extract<Val, { t: 'class' }>;

/** Tensor methods read as ops when called on something that is not a namespace (`h.exp()`, `x2.mul(s)`). */
const TENSOR_METHODS = new Set(
  (
    'exp expm1 log log1p sigmoid logSigmoid softplus tanh relu relu6 elu selu leakyRelu prelu add sub mul div ' +
    'square pow sqrt rsqrt abs neg sum mean split slice concat reshape matMul clipByValue maximum minimum sin cos ' +
    'softmax transpose unstack stack squeeze expandDims reciprocal'
  ).split(' '),
);
const SPLIT_OPS = new Set(['split', 'slice', 'unstack', 'stridedSlice', 'gather']);
/** tf.* functions that are bookkeeping, not math on the data. */
const NOT_OPS = new Set(['tidy', 'keep', 'dispose', 'memory', 'print', 'getBackend', 'setBackend', 'ready']);

/** Whether a class is a layer: it extends tfjs `Layer`, a project layer, or another layer class. */
export function isLayerClass(interp: Interp, cls: ClassVal, depth = 0): boolean {
  const ext = cls.decl.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (!ext || depth > 5) return false;
  const base = interp.eval(ext.expression, cls.mod.top);
  if (base.t === 'ns') return base.origin === 'lens' || /(^|\.)(Layer|RNN)$/.test(base.path);
  if (base.t === 'class') return isLayerClass(interp, base, depth + 1);
  return cls.decl.members.some((m) => m.name && ts.isIdentifier(m.name) && m.name.text === 'call');
}

export function customInstance(interp: Interp, cls: ClassVal, args: Val[], node: ts.Node, env: Env): Val {
  const info = analyzeClass(interp, cls);
  if (!info) return unknown(env.mod.text(node), 'not a layer class', env.mod.range(node));
  const s = interp.session;
  const layer = makeLayer(s, env.mod, node, info.className, 'custom', args[0]);
  layer.customClass = info.className;
  if (cls.mod.file !== env.mod.file) layer.customClassFile = cls.mod.file;
  // A class with inner layers but no recognised wiring still carries them, as a `graph` block (bounds unknown).
  if (!info.wiring && !info.layers?.length) return { t: 'layer', node: layer };
  const block: BlockNode = {
    kind: 'block',
    id: s.id('b'),
    wiring: info.wiring ?? 'graph',
    children: (info.layers ?? []).map((l) => ({ ...l, id: s.id('l') })),
    range: layer.range,
    instance: layer,
  };
  if (info.scale) block.scale = info.scale;
  if (info.scaleAnchor) block.anchor = info.scaleAnchor;
  return { t: 'layer', node: block };
}

/** Reads a layer class once per extraction; undefined when it is not a layer class. */
export function analyzeClass(interp: Interp, cls: ClassVal): CustomLayerInfo | undefined {
  const cached = interp.session.classes.get(cls.decl);
  if (cached) return cached;
  if (!isLayerClass(interp, cls)) return undefined;
  const mod = cls.mod;
  const decl = cls.decl;
  const env = new Env(mod, mod.top);
  const methods = new Map<string, ts.FunctionLikeDeclaration>();
  for (const m of decl.members) {
    if (!m.name || !ts.isIdentifier(m.name)) continue;
    if (ts.isMethodDeclaration(m)) methods.set(m.name.text, m);
    else if (
      ts.isPropertyDeclaration(m) &&
      m.initializer &&
      (ts.isArrowFunction(m.initializer) || ts.isFunctionExpression(m.initializer))
    )
      methods.set(m.name.text, m.initializer);
  }
  const marks = readMarks(decl, mod.file);
  const info: CustomLayerInfo = {
    className: decl.name?.text ?? 'anonymous',
    range: mod.range(decl.name ?? decl),
    ops: [],
    addsInput: false,
    hasInverse: methods.has('inverse'),
    claimsInvertible: marks.invertible || claimsInvertible(interp, decl, mod),
    weighted: false,
    layers: [],
  };
  interp.session.classes.set(decl, info);
  const visit = (n: ts.Node): void => {
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === 'addWeight'
    )
      info.weighted = true;
    if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && createsLayer(interp, n, env)) {
      const v = interp.eval(n, env);
      if (v.t === 'layer' && v.node.kind === 'layer') info.layers!.push(v.node);
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(decl, visit);
  const call = methods.get('call');
  if (call?.body) new CallReader(interp, mod, env, methods, info).read(call);
  return info;
}

function claimsInvertible(interp: Interp, decl: ts.ClassLikeDeclaration, mod: ModuleCtx): boolean {
  for (const h of decl.heritageClauses ?? []) {
    for (const t of h.types) {
      if (h.token === ts.SyntaxKind.ImplementsKeyword && /Invertible/.test(t.expression.getText(mod.sf)))
        return true;
      const base = interp.eval(t.expression, mod.top);
      if (
        base.t === 'ns' &&
        base.origin === 'lens' &&
        INVERTIBLE_LENS_LAYERS.has(lensLayerName(base.path) ?? '')
      )
        return true;
    }
  }
  return false;
}

function createsLayer(interp: Interp, n: ts.CallExpression | ts.NewExpression, env: Env): boolean {
  const callee = n.expression;
  if (!ts.isIdentifier(callee) && !ts.isPropertyAccessExpression(callee)) return false;
  if (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword)
    return false;
  const v = interp.eval(callee, env);
  if (v.t !== 'ns') return false;
  if (v.origin === 'lens') return lensLayerName(v.path) !== undefined;
  return /^layers\.[a-z]/.test(v.path) && ts.isCallExpression(n);
}

function strip(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e))
    e = e.expression;
  return e;
}

interface OpUse {
  op: string;
  operands: ts.Expression[];
  node: ts.CallExpression;
}

/** Reads `call()` (and the class methods it calls) for ops, splits, input adds and the coupling's scale. */
class CallReader {
  private locals = new Map<string, ts.Expression>();
  private halves = new Set<string>();
  private input = '';
  private uses: OpUse[] = [];

  constructor(
    private interp: Interp,
    private mod: ModuleCtx,
    private env: Env,
    private methods: Map<string, ts.FunctionLikeDeclaration>,
    private info: CustomLayerInfo,
  ) {}

  read(call: ts.FunctionLikeDeclaration): void {
    const p = call.parameters[0];
    if (p && ts.isIdentifier(p.name)) this.input = p.name.text;
    const seen = new Set<ts.Node>([call]);
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && n.initializer) {
        if (ts.isIdentifier(n.name)) this.locals.set(n.name.text, n.initializer);
        else if (ts.isArrayBindingPattern(n.name) && this.isSplit(n.initializer))
          for (const el of n.name.elements)
            if (ts.isBindingElement(el) && ts.isIdentifier(el.name)) this.halves.add(el.name.text);
      }
      if (ts.isCallExpression(n)) {
        const use = this.opOf(n);
        if (use) {
          this.uses.push(use);
          const op: OpNode = {
            kind: 'op',
            id: this.interp.session.id('o'),
            op: use.op,
            range: this.mod.range(n),
          };
          this.info.ops.push(op);
        }
        // Helpers on the same class (`this.coupling(x)`) count as part of call().
        const c = n.expression;
        if (ts.isPropertyAccessExpression(c) && c.expression.kind === ts.SyntaxKind.ThisKeyword) {
          const m = this.methods.get(c.name.text);
          if (m?.body && !seen.has(m)) {
            seen.add(m);
            ts.forEachChild(m.body, visit);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    if (call.body) ts.forEachChild(call.body, visit);
    this.conclude();
  }

  private conclude(): void {
    const info = this.info;
    info.splitsInput = this.uses.some((u) => SPLIT_OPS.has(u.op)) || this.halves.size > 0;
    info.addsInput = this.uses.some(
      (u) => u.op === 'add' && u.operands.some((o) => this.isInput(o) && !this.isHalf(o)),
    );
    let wiring: Wiring | undefined;
    if (info.splitsInput) {
      for (const u of this.uses) {
        if (u.op !== 'mul' || u.operands.length !== 2) continue;
        const [a, b] = u.operands as [ts.Expression, ts.Expression];
        const scaleExpr = this.isHalf(a) ? b : this.isHalf(b) ? a : undefined;
        if (!scaleExpr) continue;
        const { form, anchor } = this.classify(scaleExpr, 0);
        wiring = 'affine-coupling';
        info.scale = form;
        info.scaleAnchor = this.mod.range(anchor ?? u.node);
        if (form !== 'unknown') break;
      }
      if (!wiring && this.uses.some((u) => u.op === 'add' && u.operands.some((o) => this.isHalf(o))))
        wiring = 'additive-coupling';
    }
    if (!wiring && info.addsInput) wiring = 'residual';
    if (wiring) info.wiring = wiring;
  }

  private opOf(n: ts.CallExpression): OpUse | undefined {
    const c = n.expression;
    if (ts.isPropertyAccessExpression(c)) {
      const name = c.name.text;
      if (c.expression.kind === ts.SyntaxKind.ThisKeyword) return undefined;
      const recv =
        ts.isIdentifier(c.expression) || ts.isPropertyAccessExpression(c.expression)
          ? this.interp.eval(c.expression, this.env)
          : undefined;
      if (recv?.t === 'ns')
        return recv.origin === 'tfjs' && !recv.path && !NOT_OPS.has(name)
          ? { op: name, operands: [...n.arguments], node: n }
          : undefined;
      if (recv?.t === 'unknown' && recv.text === 'Math') return undefined;
      if (TENSOR_METHODS.has(name)) return { op: name, operands: [c.expression, ...n.arguments], node: n };
      return undefined;
    }
    if (ts.isIdentifier(c)) {
      const v = this.interp.eval(c, this.env);
      if (v.t === 'ns' && v.origin === 'tfjs' && !v.path.includes('.') && !NOT_OPS.has(v.path))
        return { op: v.path, operands: [...n.arguments], node: n };
    }
    return undefined;
  }

  private resolve(e: ts.Expression, depth: number): ts.Expression {
    e = strip(e);
    if (ts.isIdentifier(e) && depth < 8) {
      const init = this.locals.get(e.text);
      if (init) return this.resolve(init, depth + 1);
    }
    return e;
  }

  private isSplit(e: ts.Expression): boolean {
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r)) return false;
    const use = this.opOf(r);
    return !!use && SPLIT_OPS.has(use.op);
  }

  private isHalf(e: ts.Expression, depth = 0): boolean {
    const s = strip(e);
    if (ts.isIdentifier(s) && this.halves.has(s.text)) return true;
    if (depth > 8) return false;
    const r = this.resolve(s, 0);
    if (ts.isElementAccessExpression(r)) return this.isSplit(r.expression);
    if (ts.isIdentifier(s) && r !== s) return this.isHalf(r, depth + 1);
    return ts.isCallExpression(r) && this.isSplit(r);
  }

  private isInput(e: ts.Expression, depth = 0): boolean {
    const s = strip(e);
    if (ts.isIdentifier(s)) {
      if (s.text === this.input) return true;
      const init = this.locals.get(s.text);
      return !!init && depth < 8 && this.isInput(init, depth + 1);
    }
    if (ts.isElementAccessExpression(s)) return this.isInput(s.expression, depth + 1);
    if (ts.isConditionalExpression(s))
      return this.isInput(s.whenTrue, depth + 1) || this.isInput(s.whenFalse, depth + 1);
    // `getExactlyOneTensor(inputs)` and similar unwrapping helpers.
    if (
      ts.isCallExpression(s) &&
      s.arguments.length === 1 &&
      /Tensor/.test(s.expression.getText(this.mod.sf))
    )
      return this.isInput(s.arguments[0]!, depth + 1);
    return false;
  }

  private isConstant(e: ts.Expression): boolean {
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r)) return true;
    const use = this.opOf(r);
    if (use) return use.op === 'scalar';
    return !(ts.isPropertyAccessExpression(r.expression) && r.expression.name.text === 'apply');
  }

  /** How the expression multiplying x2 forms the scale, and the op to point at. */
  private classify(e: ts.Expression, depth: number): { form: ScaleForm; anchor?: ts.Node } {
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r) || depth > 8) return { form: 'unknown' };
    const use = this.opOf(r);
    if (!use) {
      const c = r.expression;
      return ts.isPropertyAccessExpression(c) && c.name.text === 'apply'
        ? { form: 'identity', anchor: r }
        : { form: 'unknown' };
    }
    const [a, b] = use.operands;
    switch (use.op) {
      case 'exp':
        return { form: a && this.isTanhTimesConstant(a) ? 'bounded-tanh' : 'exp', anchor: r };
      case 'sigmoid':
        return { form: 'sigmoid', anchor: r };
      case 'softplus':
        return { form: 'softplus', anchor: r };
      case 'add':
      case 'mul': {
        if (!a || !b) return { form: 'unknown' };
        const [inner, other] = this.isConstant(a) ? [b, a] : [a, b];
        if (!this.isConstant(other)) return { form: 'unknown' };
        const c = this.classify(inner, depth + 1);
        if (use.op === 'add' && (c.form === 'sigmoid' || c.form === 'sigmoid-floor'))
          return { ...c, form: 'sigmoid-floor' };
        return c;
      }
    }
    return { form: 'unknown', anchor: r };
  }

  private isTanhTimesConstant(e: ts.Expression): boolean {
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r)) return false;
    const use = this.opOf(r);
    if (use?.op === 'tanh') return true;
    if (use?.op !== 'mul' || use.operands.length !== 2) return false;
    const [a, b] = use.operands as [ts.Expression, ts.Expression];
    const isTanh = (x: ts.Expression): boolean => {
      const rx = this.resolve(x, 0);
      return ts.isCallExpression(rx) && this.opOf(rx)?.op === 'tanh';
    };
    return (isTanh(a) && this.isConstant(b)) || (isTanh(b) && this.isConstant(a));
  }
}
