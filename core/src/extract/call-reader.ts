/**
 * Reads a custom layer's `call()` (and the class methods it calls): its ops, whether it splits its input, adds
 * its input back (residual) or is an affine transform, and how that transform forms its scale (scale-form.ts).
 */
import { ts } from 'ts-morph';
import type { CustomLayerInfo, LayerNode, OpNode, ScaleSite, SourceRange, Wiring } from '../ir/model-ir';
import { isUnknown } from '../ir/model-ir';
import { isLogDetName } from './intent';
import type { Interp } from './interpreter';
import { Locals } from './locals';
import type { ModuleCtx } from './module';
import {
  classifyScale,
  type Inlined,
  type Leaf,
  type OpRead,
  returnedExpressions,
  type ScaleReading,
  type ScaleResolver,
  scaleOperand,
  strip,
  varies,
} from './scale-form';
import type { Env } from './values';

/** Tensor methods read as ops when called on something that is not a namespace (`h.exp()`, `x2.mul(s)`). */
const TENSOR_METHODS = new Set(
  (
    'exp expm1 log log1p sigmoid logSigmoid softplus tanh atan erf relu relu6 elu selu leakyRelu prelu add sub ' +
    'mul div square pow sqrt rsqrt abs neg sum mean split slice concat reshape matMul clipByValue maximum ' +
    'minimum sin cos softmax transpose unstack stack squeeze expandDims reciprocal'
  ).split(' '),
);
const SPLIT_OPS = new Set(['split', 'slice', 'unstack', 'stridedSlice', 'gather']);
/** tf.* functions that are bookkeeping, not math on the data. */
const NOT_OPS = new Set(['tidy', 'keep', 'dispose', 'memory', 'print', 'getBackend', 'setBackend', 'ready']);
/** Applying a layer or model to a tensor. */
const APPLY_METHODS = new Set(['apply', 'predict', 'call']);
const MAX_DEPTH = 8;

interface OpUse extends OpRead {
  node: ts.CallExpression;
}

type DataKind = 'half' | 'input';

interface Candidate {
  kind: DataKind;
  reading: ScaleReading;
  scale: ts.Expression;
  node: ts.CallExpression;
  divides: boolean;
}

/** Parameters of an inlined helper, bound to the call's arguments (read where the call is). */
type Bind = Map<string, { expr: ts.Expression; bind: Bind | undefined }>;

/** The ops that form a scale: their result multiplying the data makes them one. */
const SCALE_OPS = new Set(['exp', 'sigmoid', 'softplus']);
const MAX_TRACE = 40;

/** The names a parameter binds: `x`, `[x, cond]`, `{ input }`. */
function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((el) => (ts.isBindingElement(el) ? bindingNames(el.name) : []));
}

function propertyName(n: ts.PropertyName | ts.Expression): string | undefined {
  return ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n) ? n.text : undefined;
}

/**
 * Log-determinant bookkeeping (`logDet: s.log().sum()`, `this.ldj = ...`, `this.logDetJacobian(x)`): computed
 * beside the transform, never part of what it maps the data through.
 */
function isLogDetTerm(n: ts.Node): boolean {
  let name: string | undefined;
  if (ts.isCallExpression(n)) {
    const c = n.expression;
    name = ts.isPropertyAccessExpression(c) ? c.name.text : ts.isIdentifier(c) ? c.text : undefined;
  } else if (ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n)) name = propertyName(n.name);
  else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) name = n.name.text;
  else if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment) {
    if (n.operatorToken.kind > ts.SyntaxKind.LastAssignment) return false;
    const l = strip(n.left);
    name = ts.isIdentifier(l) ? l.text : ts.isPropertyAccessExpression(l) ? l.name.text : undefined;
  }
  return name !== undefined && isLogDetName(name);
}

export class CallReader implements ScaleResolver {
  private locals = new Locals();
  /** Names destructured from a split of the data (x1, x2). */
  private halves = new Set<string>();
  /** Names destructured from a split of a conditioner's output (shift, log-scale). */
  private parts = new Set<string>();
  /** Parameters of call() and the helpers it calls: data. */
  private params = new Set<string>();
  private input = '';
  private uses: OpUse[] = [];
  /** Constants of the scopes around the class (`const mask = tf.tensor1d(...)` at the top of the module). */
  private outer = new Map<string, ts.Expression | undefined>();
  /** `this.x` definitions anywhere in the class: property initializers and assignments. */
  private fields = new Map<string, ts.Expression[]>();
  private opMemo = new Map<ts.CallExpression, OpUse | undefined>();
  private kindMemo = new Map<ts.Expression, DataKind | undefined>();

  constructor(
    private interp: Interp,
    private mod: ModuleCtx,
    private env: Env,
    private methods: Map<string, ts.FunctionLikeDeclaration>,
    private info: CustomLayerInfo,
  ) {}

  /** `input`: the data parameter, when not the first (`madeForward(params, x)`; transforms.ts). */
  read(call: ts.FunctionLikeDeclaration, input = call.parameters[0]): void {
    const p = input;
    if (p && ts.isIdentifier(p.name)) this.input = p.name.text;
    this.readFields(call);
    this.readOuter(call);
    for (const m of this.methods.values()) if (m !== call && m.body) this.locals.collect(m.body);
    const seen = new Set<ts.Node>([call]);
    const enter = (fn: ts.FunctionLikeDeclaration): void => {
      for (const q of fn.parameters) for (const name of bindingNames(q.name)) this.params.add(name);
      if (fn.body) ts.forEachChild(fn.body, visit);
    };
    // The ops of the transform: call() and the helpers it calls, log-det terms aside.
    const visit = (n: ts.Node): void => {
      if (isLogDetTerm(n)) return;
      if (ts.isVariableDeclaration(n) && n.initializer && ts.isArrayBindingPattern(n.name)) {
        const target =
          this.isDataSplit(n.initializer) || this.helperSplitsData(n.initializer)
            ? this.halves
            : this.isSplit(n.initializer)
              ? this.parts
              : undefined;
        if (target)
          for (const el of n.name.elements)
            if (ts.isBindingElement(el) && ts.isIdentifier(el.name)) target.add(el.name.text);
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
            enter(m);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    this.params.add(this.input);
    if (call.body) {
      for (const q of call.parameters) for (const name of bindingNames(q.name)) this.params.add(name);
      this.locals.collect(call.body);
      ts.forEachChild(call.body, visit);
    }
    this.conclude();
  }

  private readFields(call: ts.Node): void {
    // `this` of a class, or of an object literal's method (transforms.ts; an arrow's `this` is the outer one).
    const owner = (n: ts.Node): boolean =>
      ts.isClassLike(n) || (ts.isObjectLiteralExpression(n) && !ts.isArrowFunction(call));
    let cls: ts.Node | undefined = call.parent;
    while (cls && !owner(cls)) cls = cls.parent;
    if (!cls || !(ts.isClassLike(cls) || ts.isObjectLiteralExpression(cls))) return;
    const add = (name: string, e: ts.Expression): void => {
      const list = this.fields.get(name) ?? [];
      list.push(e);
      this.fields.set(name, list);
    };
    for (const m of ts.isClassLike(cls) ? cls.members : cls.properties)
      if (
        (ts.isPropertyDeclaration(m) || ts.isPropertyAssignment(m)) &&
        m.initializer &&
        ts.isIdentifier(m.name)
      )
        add(m.name.text, m.initializer);
    const visit = (n: ts.Node): void => {
      if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(n.left) &&
        n.left.expression.kind === ts.SyntaxKind.ThisKeyword
      )
        add(n.left.name.text, n.right);
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(cls, visit);
  }

  /**
   * Constants declared in the blocks around the class (the module, a factory function): what `mask` or `clamp`
   * stands for in call(). A parameter of an enclosing function hides the names outside it.
   */
  private readOuter(call: ts.Node): void {
    for (let n: ts.Node | undefined = call.parent; n; n = n.parent) {
      if (ts.isFunctionLike(n))
        for (const q of n.parameters)
          for (const name of bindingNames(q.name)) if (!this.outer.has(name)) this.outer.set(name, undefined);
      if (!ts.isBlock(n) && !ts.isSourceFile(n) && !ts.isModuleBlock(n)) continue;
      for (const st of n.statements) {
        if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
        for (const d of st.declarationList.declarations)
          if (ts.isIdentifier(d.name) && d.initializer && !this.outer.has(d.name.text))
            this.outer.set(d.name.text, d.initializer);
      }
    }
  }

  private conclude(): void {
    const info = this.info;
    info.splitsInput =
      this.uses.some((u) => SPLIT_OPS.has(u.op) && !this.fromConditioner(u.operands[0])) ||
      this.halves.size > 0;
    info.addsInput = this.uses.some(
      (u) => u.op === 'add' && u.operands.some((o) => this.isInput(o) && !this.isHalf(o)),
    );
    const candidates: Candidate[] = [];
    for (const u of this.uses) {
      const m = scaleOperand(u, (e) => this.dataKind(e) !== undefined);
      if (!m || this.sharesData(m.scale, m.data)) continue;
      const kind = this.dataKind(m.data)!;
      candidates.push({
        kind,
        reading: classifyScale(m.scale, this, m.divides),
        scale: m.scale,
        node: u.node,
        divides: m.divides,
      });
    }
    const learned = candidates.filter((c) => c.reading.form === 'learned-param' && c.reading.anchor);
    const at = new Map<string, SourceRange>();
    const addLearned = (r: SourceRange): void => void at.set(`${r.start.line}:${r.start.character}`, r);
    for (const c of learned) addLearned(this.mod.range(c.reading.anchor!));
    const halves = candidates.filter((c) => c.kind === 'half' && info.splitsInput);
    const whole = candidates.filter(
      (c) => c.kind === 'input' && c.reading.anchor && c.reading.form !== 'identity',
    );
    let wiring: Wiring | undefined;
    let chosen = halves.find((c) => c.reading.form !== 'unknown') ?? halves[0];
    if (chosen) wiring = 'affine-coupling';
    else if (
      info.splitsInput &&
      this.uses.some((u) => u.op === 'add' && u.operands.some((o) => this.isHalf(o)))
    )
      wiring = 'additive-coupling';
    else {
      // The whole input scaled: an affine transform when the class says it is invertible, or when a
      // conditioner's output is split into a shift and a scale (MAF/MADE: u = (x - mu) * exp(-alpha)).
      chosen = whole.find((c) => this.isInvertibleTransform(c));
      if (chosen) {
        wiring = 'affine-coupling';
        info.addsInput = false;
      } else {
        // A learned weight's exp is constant in the input: never a non-Lipschitz op, whatever the class.
        const own = whole.find((c) => c.reading.form === 'learned-param');
        if (own) this.setScale(own);
      }
    }
    if (chosen) this.setScale(chosen);
    if (!wiring && info.addsInput) wiring = 'residual';
    if (wiring) info.wiring = wiring;
    if (info.hasInverse || info.claimsInvertible || wiring?.endsWith('coupling')) {
      const sites = this.scaleSites(candidates);
      if (sites.length) info.scaleOps = sites;
      for (const site of sites) if (site.form === 'learned-param') addLearned(site.range);
    }
    if (at.size > 0) info.learnedScales = [...at.values()];
  }

  /**
   * Every exp/sigmoid/softplus whose result flows into a scale of the data (not through a conditioner), with the
   * form of its scale: the reading's own where it is one of the scale's alternatives, else its own as the scale.
   */
  private scaleSites(candidates: readonly Candidate[]): ScaleSite[] {
    const out = new Map<ts.Node, ScaleSite>();
    for (const c of candidates) {
      const known = new Map<ts.Node, ScaleSite['form']>(c.reading.sites.map((x) => [x.anchor, x.form]));
      this.trace(c.scale, (n) => {
        const use = ts.isCallExpression(n) ? this.opOf(n) : undefined;
        if (use && SCALE_OPS.has(use.op) && !out.has(n)) {
          const form = known.get(n) ?? classifyScale(n, this, c.divides).form;
          out.set(n, { form, range: this.mod.range(n) });
        }
        return false;
      });
    }
    return [...out.values()];
  }

  /**
   * Whether a scale is a function of the very data it multiplies, other than through a layer (`x * sigmoid(x)`,
   * a gate): an activation, not an affine transform's scale. A coupling's x2 scaled by a function of x1 is not.
   */
  private sharesData(scale: ts.Expression, data: ts.Expression): boolean {
    const roots = (e: ts.Expression): Set<string> => {
      const out = new Set<string>();
      this.trace(e, (n) => {
        if (this.isHalf(n)) out.add(n.getText(this.mod.sf));
        else if (ts.isIdentifier(n) && this.params.has(n.text) && !this.locals.has(n.text, n))
          out.add(n.text);
        else return false;
        return true;
      });
      return out;
    };
    const of = roots(data);
    return [...roots(scale)].some((r) => of.has(r));
  }

  /**
   * Walks what `e` is computed from: locals (every definition that reaches), helpers (their returns, their
   * parameters bound to the call's arguments) and ops, stopping at layer applications (a conditioner's input is
   * not its output). `at` sees each expression on the way (names once resolved); returning true stops there.
   */
  private trace(e: ts.Expression, at: (n: ts.Expression) => boolean): void {
    const seen = new Map<ts.Node, Set<Bind | undefined>>();
    let budget = 4000;
    const go = (x: ts.Node, bind: Bind | undefined, depth: number): void => {
      const binds = seen.get(x) ?? new Set<Bind | undefined>();
      if (depth > MAX_TRACE || --budget < 0 || binds.has(bind)) return;
      seen.set(x, binds.add(bind));
      if (ts.isIdentifier(x)) {
        const p = bind?.get(x.text);
        if (p) return go(p.expr, p.bind, depth + 1);
        if (at(x)) return;
        for (const d of this.locals.reaching(x.text, x)) go(d.expr, bind, depth + 1);
        return;
      }
      if (ts.isExpression(x) && at(x)) return;
      if (ts.isCallExpression(x)) {
        if (this.applied(x) !== undefined) return;
        const f = this.inline(x);
        if (f) {
          const inner: Bind = new Map();
          f.fn.parameters.forEach((q, i) => {
            const arg = f.args[i];
            if (ts.isIdentifier(q.name) && arg) inner.set(q.name.text, { expr: arg, bind });
          });
          for (const r of returnedExpressions(f.fn)) go(r, inner, depth + 1);
          return;
        }
      }
      if (ts.isPropertyAccessExpression(x)) return go(x.expression, bind, depth + 1);
      if (ts.isFunctionLike(x)) return;
      ts.forEachChild(x, (c) => go(c, bind, depth + 1));
    };
    go(e, undefined, 0);
  }

  private setScale(c: Candidate): void {
    this.info.scale = c.reading.form;
    this.info.scaleAnchor = this.mod.range(c.reading.anchor ?? c.node);
    this.info.scaleGains = c.reading.gains;
  }

  private isInvertibleTransform(c: Candidate): boolean {
    if (c.reading.form === 'unknown') return false;
    if (this.info.hasInverse || this.info.claimsInvertible) return true;
    const mentionsPart = (e: ts.Expression): boolean => this.mentions(e, (id) => this.parts.has(id.text));
    return (
      mentionsPart(c.scale) &&
      this.uses.some((u) => (u.op === 'add' || u.op === 'sub') && u.operands.some(mentionsPart))
    );
  }

  /** Whether `e` (through locals) names something `test` accepts. */
  private mentions(
    e: ts.Expression,
    test: (id: ts.Identifier) => boolean,
    seen = new Set<ts.Node>(),
  ): boolean {
    if (seen.has(e) || seen.size > 200) return false;
    seen.add(e);
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isIdentifier(n)) {
        const def = test(n) ? undefined : this.locals.at(n.text, n);
        found = test(n) || (!!def && this.mentions(def.expr, test, seen));
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(e);
    return found;
  }

  // --- ScaleResolver ---

  op(call: ts.CallExpression): OpRead | undefined {
    return this.opOf(call);
  }

  leaf(e: ts.Identifier | ts.PropertyAccessExpression): Leaf {
    if (ts.isIdentifier(e)) {
      const defs = this.locals.reaching(e.text, e);
      if (defs.length) return { kind: 'expr', defs };
      if (this.params.has(e.text) || this.locals.has(e.text, e)) return { kind: 'tensor' };
      const outer = this.outer.get(e.text);
      if (outer) return { kind: 'expr', defs: [{ expr: outer }] };
      return this.moduleValue(e);
    }
    if (e.expression.kind === ts.SyntaxKind.ThisKeyword) {
      const defs = this.fields.get(e.name.text);
      if (!defs) return { kind: 'constant' };
      if (defs.some((d) => this.isWeight(d))) return { kind: 'parameter' };
      return { kind: 'expr', defs: defs.map((expr) => ({ expr })) };
    }
    // `args.clamp`, `config.eps`: data when read from a local tensor, else a number (known or not).
    let root: ts.Expression = e;
    while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root))
      root = strip(root.expression);
    if (ts.isIdentifier(root) && (this.params.has(root.text) || this.locals.has(root.text, root)))
      return { kind: 'tensor' };
    return this.moduleValue(e);
  }

  inline(call: ts.CallExpression): Inlined | undefined {
    const c = call.expression;
    if (ts.isPropertyAccessExpression(c) && c.expression.kind === ts.SyntaxKind.ThisKeyword) {
      const m = this.methods.get(c.name.text);
      return m ? { fn: m, args: call.arguments } : undefined;
    }
    if (!ts.isIdentifier(c) && !ts.isPropertyAccessExpression(c)) return undefined;
    if (ts.isIdentifier(c)) {
      const def = this.locals.at(c.text, c);
      if (def) {
        const f = strip(def.expr);
        return ts.isArrowFunction(f) || ts.isFunctionExpression(f)
          ? { fn: f, args: call.arguments }
          : undefined;
      }
      if (this.params.has(c.text)) return undefined;
    }
    const v = this.interp.eval(c, this.env);
    if (v.t === 'ns' && v.origin === 'tfjs' && v.path === 'tidy') {
      const f = call.arguments.find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
      return f && (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) ? { fn: f, args: [] } : undefined;
    }
    return v.t === 'fn' ? { fn: v.decl, args: call.arguments } : undefined;
  }

  applied(call: ts.CallExpression): string | undefined {
    const c = call.expression;
    if (!ts.isPropertyAccessExpression(c) || !APPLY_METHODS.has(c.name.text)) return undefined;
    return this.outputActivation(c.expression, 0);
  }

  /** The activation of what a layer or model expression outputs; `'linear'` when it cannot be read. */
  private outputActivation(e: ts.Expression, depth: number): string {
    e = strip(e);
    if (depth > MAX_DEPTH) return 'linear';
    if (ts.isPropertyAccessExpression(e) && e.expression.kind === ts.SyntaxKind.ThisKeyword) {
      const defs = this.fields.get(e.name.text);
      return defs?.length === 1 ? this.outputActivation(defs[0]!, depth + 1) : 'linear';
    }
    if (ts.isIdentifier(e)) {
      // A local, or a constant of the blocks around (a net a transform's factory built: transforms.ts).
      const def = this.locals.at(e.text, e)?.expr ?? this.outer.get(e.text);
      return def ? this.outputActivation(def, depth + 1) : 'linear';
    }
    if (!ts.isCallExpression(e)) return 'linear';
    const layer = this.layerAt(e);
    if (layer) {
      const act = layer.config['activation'];
      return typeof act === 'string' ? act : isUnknown(act) ? 'unknown' : 'linear';
    }
    // `tf.sequential({ layers: [..., last] })`: the last layer's activation.
    const arg = e.arguments[0];
    if (arg && ts.isObjectLiteralExpression(arg)) {
      for (const p of arg.properties) {
        if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name) || p.name.text !== 'layers') continue;
        const list = strip(p.initializer);
        const last = ts.isArrayLiteralExpression(list) ? list.elements[list.elements.length - 1] : undefined;
        if (last && !ts.isSpreadElement(last)) return this.outputActivation(last, depth + 1);
      }
    }
    return 'linear';
  }

  /** The layer the class created with this call (its constructor, fields, `build()`). */
  private layerAt(e: ts.CallExpression): LayerNode | undefined {
    const r = this.mod.range(e);
    return this.info.layers?.find(
      (l) => l.range.start.line === r.start.line && l.range.start.character === r.start.character,
    );
  }

  private moduleValue(e: ts.Expression): Leaf {
    const v = this.interp.eval(e, this.env);
    if (v.t === 'data' && typeof v.v === 'number') return { kind: 'number', value: v.v };
    // A tensor made outside the layer (a mask, a constant) is constant in its input; a symbolic input is not.
    return v.t === 'tensor' && v.tn.t === 'input' ? { kind: 'tensor' } : { kind: 'constant' };
  }

  private isWeight(e: ts.Expression): boolean {
    const r = strip(e);
    if (!ts.isCallExpression(r)) return false;
    const c = r.expression;
    if (ts.isPropertyAccessExpression(c) && c.name.text === 'addWeight') return true;
    return this.opOf(r)?.op === 'variable';
  }

  // --- the data: halves and the input ---

  private opOf(n: ts.CallExpression): OpUse | undefined {
    if (!this.opMemo.has(n)) this.opMemo.set(n, this.readOp(n));
    return this.opMemo.get(n);
  }

  private readOp(n: ts.CallExpression): OpUse | undefined {
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
    if (ts.isIdentifier(e) && depth < MAX_DEPTH) {
      const init = this.locals.at(e.text, e);
      if (init) return this.resolve(init.expr, depth + 1);
    }
    return e;
  }

  private isSplit(e: ts.Expression): boolean {
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r)) return false;
    const use = this.opOf(r);
    return !!use && SPLIT_OPS.has(use.op);
  }

  /** A split of the data, not of a conditioner's output (`tf.split(this.made.apply(x), 2, -1)`). */
  private isDataSplit(e: ts.Expression): boolean {
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r)) return false;
    const use = this.opOf(r);
    return !!use && SPLIT_OPS.has(use.op) && !this.fromConditioner(use.operands[0]);
  }

  /** `this.halves(x)`: a helper of the class that splits the data and returns the parts. */
  private helperSplitsData(e: ts.Expression): boolean {
    const r = strip(e);
    if (!ts.isCallExpression(r) || !ts.isPropertyAccessExpression(r.expression)) return false;
    if (r.expression.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
    const body = this.methods.get(r.expression.name.text)?.body;
    if (!body) return false;
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isCallExpression(n)) {
        const use = this.opOf(n);
        if (use && SPLIT_OPS.has(use.op) && !this.fromConditioner(use.operands[0])) found = true;
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
    return found;
  }

  /** Whether `e` is computed by applying a layer or model (through locals and shape ops). */
  private fromConditioner(e: ts.Expression | undefined, depth = 0): boolean {
    if (!e || depth > MAX_DEPTH) return false;
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r)) return false;
    if (this.applied(r) !== undefined) return true;
    const use = this.opOf(r);
    return !!use && use.operands.some((o) => this.fromConditioner(o, depth + 1));
  }

  private isHalf(e: ts.Expression, depth = 0): boolean {
    const s = strip(e);
    if (ts.isIdentifier(s) && this.halves.has(s.text)) return true;
    if (depth > MAX_DEPTH) return false;
    const r = this.resolve(s, 0);
    if (ts.isElementAccessExpression(r)) return this.isDataSplit(r.expression);
    if (ts.isIdentifier(s) && r !== s) return this.isHalf(r, depth + 1);
    return ts.isCallExpression(r) && this.isDataSplit(r);
  }

  private isInput(e: ts.Expression, depth = 0): boolean {
    const s = strip(e);
    if (ts.isIdentifier(s)) {
      if (s.text === this.input) return true;
      const init = this.locals.at(s.text, s);
      return !!init && depth < MAX_DEPTH && this.isInput(init.expr, depth + 1);
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

  /**
   * What a scale multiplies: a half of the split input (`x2`, `x2 + t`: Glow's `(x2 + t) * s`), or the whole
   * input (`x`, `x - mu`: MAF's `(x - mu) * exp(-alpha)`, ActNorm's `x * exp(logs)`).
   */
  private dataKind(e: ts.Expression, depth = 0): DataKind | undefined {
    if (this.kindMemo.has(e)) return this.kindMemo.get(e);
    this.kindMemo.set(e, undefined);
    const kind = this.readDataKind(e, depth);
    this.kindMemo.set(e, kind);
    return kind;
  }

  private readDataKind(e: ts.Expression, depth: number): DataKind | undefined {
    if (this.isHalf(e)) return 'half';
    if (this.isInput(e)) return 'input';
    if (depth > MAX_DEPTH) return undefined;
    const r = this.resolve(e, 0);
    if (!ts.isCallExpression(r)) return undefined;
    const use = this.opOf(r);
    if (!use) return undefined;
    if (use.op === 'add' || use.op === 'sub') {
      const kinds = use.operands.map((o) => this.dataKind(o, depth + 1));
      const found = kinds.filter((k) => k !== undefined);
      return found.length === 1 ? found[0] : undefined;
    }
    // `x * (1 - mask)`: the data times something constant in it (RealNVP's checkerboard masks).
    if (use.op === 'mul' && use.operands.length === 2) {
      const [a, b] = use.operands as [ts.Expression, ts.Expression];
      const ka = this.dataKind(a, depth + 1);
      const kb = this.dataKind(b, depth + 1);
      if (ka && !kb && !varies(b, this).data) return ka;
      if (kb && !ka && !varies(a, this).data) return kb;
      return undefined;
    }
    if (use.op === 'reshape' || use.op === 'squeeze' || use.op === 'expandDims')
      return use.operands[0] ? this.dataKind(use.operands[0], depth + 1) : undefined;
    return undefined;
  }
}
