/**
 * A small abstract interpreter over model-building code: constants, object spreads, arrays, helper calls
 * (inlined with their arguments), loops with constant bounds (unrolled), `model.add`, `layers.push`. Purely
 * syntactic: no type checker, so it stays cheap enough for every keystroke.
 */
import { ts } from 'ts-morph';
import { alternatives, type Completion, WriteLog } from './branches';
import { evalCall, evalNew } from './calls';
import { isAmbient, type ModuleCtx } from './module';
import { MAX_DEPTH, MAX_NESTING, type Session } from './session';
import { exec, stmt, tooDeep } from './statements';
import { noteList } from './transform-models';
import { noteTransformObject } from './transforms';
import { Env, foldBinary, num, truthy, unknown, type Val } from './values';

type FnVal = Extract<Val, { t: 'fn' }>;

export class Interp {
  /** Writes of the path being read, when it is one of several (see branches.ts). */
  readonly log = new WriteLog();
  /** Per running function: values returned on paths whose condition is not known statically. */
  readonly pending: Val[][] = [];

  constructor(readonly session: Session) {}

  eval(node: ts.Expression, env: Env): Val {
    const s = this.session;
    s.step();
    if (s.nesting >= MAX_NESTING) return tooDeep(s, node, env);
    s.nesting++;
    try {
      return this.evalNode(node, env);
    } finally {
      s.nesting--;
    }
  }

  private evalNode(node: ts.Expression, env: Env): Val {
    const mod = env.mod;
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node))
      return this.eval(node.expression, env);
    if (ts.isTypeAssertionExpression(node) || ts.isSatisfiesExpression(node))
      return this.eval(node.expression, env);
    if (ts.isNumericLiteral(node)) return { t: 'data', v: Number(node.text) };
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      return { t: 'data', v: node.text };
    if (node.kind === ts.SyntaxKind.TrueKeyword) return { t: 'data', v: true };
    if (node.kind === ts.SyntaxKind.FalseKeyword) return { t: 'data', v: false };
    if (node.kind === ts.SyntaxKind.NullKeyword) return { t: 'data', v: null };
    if (ts.isIdentifier(node)) return this.lookup(node.text, env, node);
    if (ts.isTemplateExpression(node)) return this.template(node, env);
    if (ts.isPrefixUnaryExpression(node)) return this.prefix(node, env);
    if (ts.isPostfixUnaryExpression(node)) {
      const before = this.eval(node.operand, env);
      const n = num(before);
      if (ts.isIdentifier(node.operand)) {
        const step = node.operator === ts.SyntaxKind.PlusPlusToken ? 1 : -1;
        this.assign(node.operand.text, n === undefined ? before : { t: 'data', v: n + step }, env);
      }
      return before;
    }
    if (ts.isBinaryExpression(node)) return this.binary(node, env);
    if (ts.isConditionalExpression(node)) {
      const c = truthy(this.eval(node.condition, env));
      if (c !== undefined) return this.eval(c ? node.whenTrue : node.whenFalse, env);
      const options = [this.eval(node.whenTrue, env), this.eval(node.whenFalse, env)];
      return alternatives(this.session, options, node, mod);
    }
    if (node.kind === ts.SyntaxKind.ThisKeyword || node.kind === ts.SyntaxKind.SuperKeyword) {
      const name = node.kind === ts.SyntaxKind.ThisKeyword ? 'this' : 'super';
      return env.find(name)?.vars.get(name) ?? unknown(name, `'${name}' not known here`);
    }
    if (ts.isObjectLiteralExpression(node)) return this.object(node, env);
    if (ts.isArrayLiteralExpression(node)) {
      const items: Val[] = [];
      for (const el of node.elements) {
        if (ts.isSpreadElement(el)) {
          const v = this.eval(el.expression, env);
          if (v.t === 'array') items.push(...v.items);
          else items.push(v);
        } else if (!ts.isOmittedExpression(el)) items.push(this.eval(el, env));
      }
      const list: Val = { t: 'array', items };
      noteList(this, list, node);
      return list;
    }
    if (ts.isPropertyAccessExpression(node))
      return this.member(this.eval(node.expression, env), node.name.text, node, env);
    if (ts.isElementAccessExpression(node)) {
      const key = this.eval(node.argumentExpression, env);
      const k = key.t === 'data' ? key.v : undefined;
      if (typeof k === 'number' || typeof k === 'string')
        return this.member(this.eval(node.expression, env), String(k), node, env);
      return unknown(mod.text(node), 'index not known statically', mod.range(node));
    }
    if (ts.isCallExpression(node)) return evalCall(this, node, env);
    if (ts.isNewExpression(node)) return evalNew(this, node, env);
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return this.fn(node, env);
    if (ts.isClassExpression(node)) return this.cls(node, env);
    if (ts.isAwaitExpression(node)) return this.eval(node.expression, env);
    return unknown(mod.text(node), 'expression not read statically', mod.range(node));
  }

  /** A function value; its scope is remembered so the function can still be read if nothing calls it. */
  fn(decl: ts.SignatureDeclaration, env: Env): FnVal {
    this.session.closures.set(decl, env);
    return { t: 'fn', decl, closure: env };
  }

  cls(decl: ts.ClassLikeDeclaration, env: Env): Val {
    if (env === env.mod.top) return { t: 'class', decl, mod: env.mod };
    this.session.closures.set(decl, env);
    return { t: 'class', decl, mod: env.mod, closure: env };
  }

  lookup(name: string, env: Env, at: ts.Node): Val {
    const scope = env.find(name);
    if (scope) return scope.vars.get(name)!;
    return this.lookupTop(name, env.mod, at);
  }

  /** A module-level name: evaluated on first use, so imported files are read only as far as needed. */
  lookupTop(name: string, mod: ModuleCtx, at: ts.Node): Val {
    const known = mod.top.vars.get(name);
    if (known) return known;
    const decl = mod.decls.get(name);
    if (decl && !mod.evaluating.has(name)) {
      mod.evaluating.add(name);
      try {
        let v: Val;
        if (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) v = this.fn(decl, mod.top);
        else if (ts.isClassDeclaration(decl)) v = { t: 'class', decl, mod };
        else if (ts.isVariableDeclaration(decl) && decl.initializer) v = this.eval(decl.initializer, mod.top);
        // `declare const tf: typeof import('@tensorflow/tfjs')`: the typed script-tag global.
        else if (name === 'tf' && ts.isVariableDeclaration(decl) && isAmbient(decl))
          v = { t: 'ns', origin: 'tfjs', path: '' };
        // `exports.build = function () {...}` and other CommonJS exports that have no local name.
        else if (ts.isExpression(decl)) v = this.eval(decl, mod.top);
        else v = unknown(name, 'declared without a value');
        mod.top.vars.set(name, v);
        return v;
      } finally {
        mod.evaluating.delete(name);
      }
    }
    const imp = mod.imports.get(name);
    if (imp?.kind === 'ns') return { t: 'ns', origin: imp.origin, path: imp.path };
    if (imp?.kind === 'relative') {
      const other = mod.importModule(imp.specifier);
      if (!other) {
        this.session.note(`Could not read '${imp.specifier}'; '${name}' is unknown.`, mod.range(at));
        return unknown(name, `imported from '${imp.specifier}', which could not be read`);
      }
      if (imp.exportName === '*') return { t: 'module', mod: other };
      return this.exported(other, imp.exportName, at, mod);
    }
    if (name === 'undefined') return unknown('undefined', 'undefined');
    if (name === 'Infinity') return { t: 'data', v: Infinity };
    // A browser script loaded after `<script src=".../tf.min.js">`: the free global `tf` is the namespace.
    if (name === 'tf' && !imp && !mod.allImported.has(name) && !decl)
      return { t: 'ns', origin: 'tfjs', path: '' };
    return unknown(name, 'not a constant in this file');
  }

  exported(other: ModuleCtx, exportName: string, at: ts.Node, from: ModuleCtx): Val {
    const v = this.findExport(other, exportName, at, new Set());
    if (v) return v;
    // `import m from './cjs'` where the file assigns `module.exports = { ... }`: the default is the module.
    if (exportName === 'default' && other.commonJs) return { t: 'module', mod: other };
    this.session.note(`'${exportName}' is not exported by ${other.file}.`, from.range(at));
    return unknown(exportName, 'not found in the imported file');
  }

  /** An export of `mod`, its own or re-exported (`export { x } from`, `export * from`); undefined if none. */
  private findExport(mod: ModuleCtx, name: string, at: ts.Node, seen: Set<ModuleCtx>): Val | undefined {
    if (seen.has(mod) || seen.size > 16) return undefined;
    seen.add(mod);
    const local = mod.exports.get(name);
    if (local !== undefined) return this.lookupTop(local, mod, at);
    const re = mod.reexports.get(name);
    if (re) {
      const target = mod.importsFor(re.specifier);
      if (target?.t === 'ns') return re.name === '*' ? target : this.member(target, re.name, at, mod.top);
      if (target?.t !== 'module') return undefined;
      if (re.name === '*') return target;
      return this.findExport(target.mod, re.name, at, seen);
    }
    if (name === 'default') return undefined;
    const targets = mod.starExports.map((specifier) => mod.importsFor(specifier));
    for (const target of targets) {
      const v = target?.t === 'module' ? this.findExport(target.mod, name, at, seen) : undefined;
      if (v) return v;
    }
    // `export * from '@tensorflow/tfjs'`: a name no file re-exports is a tfjs export.
    const ns = targets.find((t) => t?.t === 'ns');
    return ns ? this.member(ns, name, at, mod.top) : undefined;
  }

  member(obj: Val, name: string, node: ts.Node, env: Env): Val {
    switch (obj.t) {
      case 'ns':
        return { t: 'ns', origin: obj.origin, path: obj.path ? `${obj.path}.${name}` : name };
      case 'module':
        return this.exported(obj.mod, name, node, env.mod);
      case 'object':
        return obj.props.get(name) ?? unknown(env.mod.text(node), `no '${name}' in the object`);
      case 'array':
        if (name === 'length') return { t: 'data', v: obj.items.length };
        return obj.items[Number(name)] ?? unknown(env.mod.text(node), 'index out of range');
      case 'data':
        if (typeof obj.v === 'string' && name === 'length') return { t: 'data', v: obj.v.length };
        break;
      case 'unknown':
        if (obj.text === 'Math' && (name === 'PI' || name === 'E')) return { t: 'data', v: Math[name] };
        // `window.tf`, `globalThis.tf`, `self.tf` in a worker: the script-tag global.
        if (name === 'tf' && GLOBAL_OBJECTS.has(obj.text) && !env.find(obj.text))
          return { t: 'ns', origin: 'tfjs', path: '' };
        break;
    }
    return unknown(env.mod.text(node), 'property not known statically', env.mod.range(node));
  }

  private template(node: ts.TemplateExpression, env: Env): Val {
    let out = node.head.text;
    for (const span of node.templateSpans) {
      const v = this.eval(span.expression, env);
      if (v.t !== 'data') return unknown(env.mod.text(node), 'template with unknown parts');
      out += String(v.v) + span.literal.text;
    }
    return { t: 'data', v: out };
  }

  private prefix(node: ts.PrefixUnaryExpression, env: Env): Val {
    const v = this.eval(node.operand, env);
    const n = num(v);
    if (node.operator === ts.SyntaxKind.MinusToken && n !== undefined) return { t: 'data', v: -n };
    if (node.operator === ts.SyntaxKind.PlusToken && n !== undefined) return { t: 'data', v: n };
    if (node.operator === ts.SyntaxKind.ExclamationToken) {
      const b = truthy(v);
      if (b !== undefined) return { t: 'data', v: !b };
    }
    if (
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken) &&
      ts.isIdentifier(node.operand)
    ) {
      const next =
        n === undefined
          ? v
          : { t: 'data' as const, v: n + (node.operator === ts.SyntaxKind.PlusPlusToken ? 1 : -1) };
      this.assign(node.operand.text, next, env);
      return next;
    }
    return unknown(env.mod.text(node), 'operand not known statically');
  }

  private binary(node: ts.BinaryExpression, env: Env): Val {
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.EqualsToken) {
      const v = this.eval(node.right, env);
      if (ts.isIdentifier(node.left)) this.assign(node.left.text, v, env);
      else if (ts.isPropertyAccessExpression(node.left)) {
        const target = this.eval(node.left.expression, env);
        if (target.t === 'object') {
          this.log.write(target.props, node.left.name.text, v);
          // `this.policyNet = tf.sequential()` in a plain class: the model is named after the class and field.
          if (target.cls && v.t === 'model' && !this.session.fieldNames.has(v.m))
            this.session.fieldNames.set(v.m, {
              name: `${target.cls}.${node.left.name.text}`,
              node: node.left.name,
            });
        }
      }
      return v;
    }
    const compound = COMPOUND[op];
    if (compound && ts.isIdentifier(node.left)) {
      const v = foldBinary(compound, this.eval(node.left, env), this.eval(node.right, env));
      const next = v ?? unknown(env.mod.text(node), 'not known statically');
      this.assign(node.left.text, next, env);
      return next;
    }
    const left = this.eval(node.left, env);
    if (op === ts.SyntaxKind.QuestionQuestionToken) {
      const missing =
        (left.t === 'unknown' && left.text === 'undefined') || (left.t === 'data' && left.v === null);
      return missing ? this.eval(node.right, env) : left;
    }
    if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.AmpersandAmpersandToken) {
      const b = truthy(left);
      if (b === undefined) return unknown(env.mod.text(node), 'condition not known statically');
      return b === (op === ts.SyntaxKind.BarBarToken) ? left : this.eval(node.right, env);
    }
    const right = this.eval(node.right, env);
    const opText = ts.tokenToString(op) ?? '';
    return (
      foldBinary(opText, left, right) ??
      unknown(env.mod.text(node), 'not known statically', env.mod.range(node))
    );
  }

  assign(name: string, v: Val, env: Env): void {
    this.log.write((env.find(name) ?? env.mod.top).vars, name, v);
  }

  private object(node: ts.ObjectLiteralExpression, env: Env): Val {
    const props = new Map<string, Val>();
    let partial: string | undefined;
    let methods: Env | undefined;
    for (const p of node.properties) {
      if (ts.isSpreadAssignment(p)) {
        const v = this.eval(p.expression, env);
        if (v.t === 'object') {
          for (const [k, x] of v.props) props.set(k, x);
          partial ??= v.partial;
        } else {
          partial ??= env.mod.text(p.expression);
          this.session.note(
            `Spread of '${env.mod.text(p.expression)}' could not be resolved.`,
            env.mod.range(p),
          );
        }
      } else if (ts.isShorthandPropertyAssignment(p)) {
        props.set(p.name.text, this.lookup(p.name.text, env, p.name));
      } else if (ts.isPropertyAssignment(p)) {
        const key = this.propName(p.name, env);
        if (key !== undefined) props.set(key, this.eval(p.initializer, env));
      } else if (ts.isMethodDeclaration(p)) {
        const key = this.propName(p.name, env);
        methods ??= new Env(env.mod, env);
        if (key !== undefined) props.set(key, this.fn(p, methods));
        else this.fn(p, methods);
      }
    }
    const obj: Val & { t: 'object' } =
      partial === undefined ? { t: 'object', props } : { t: 'object', props, partial };
    // Object-literal methods see the object as `this`.
    methods?.vars.set('this', obj);
    noteTransformObject(this, obj, node, env);
    return obj;
  }

  propName(name: ts.PropertyName, env: Env): string | undefined {
    if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
    if (ts.isComputedPropertyName(name)) {
      const v = this.eval(name.expression, env);
      return v.t === 'data' ? String(v.v) : undefined;
    }
    return undefined;
  }

  /**
   * Calls a user function with its arguments bound: the helper is inlined at the call site. `self` is the
   * receiver of a method call (`obj.f()`), the `this` of a plain function; arrows and methods keep their own.
   */
  callFn(fn: FnVal, args: (Val | undefined)[], site: ts.Node, env: Env, self?: Val): Val {
    const s = this.session;
    if (s.depth >= MAX_DEPTH) {
      s.note('Helper calls nested too deeply: this call was not followed.', env.mod.range(site));
      return unknown(env.mod.text(site), 'helper calls nested too deeply');
    }
    s.executed.add(fn.decl);
    const scope = new Env(fn.closure.mod, fn.closure);
    if (ts.isFunctionDeclaration(fn.decl) || ts.isFunctionExpression(fn.decl))
      scope.vars.set('this', self ?? unknown('this', 'receiver not known statically'));
    fn.decl.parameters.forEach((p, i) => {
      if (p.dotDotDotToken)
        this.bind(p.name, { t: 'array', items: args.slice(i).filter((a): a is Val => !!a) }, scope);
      else this.bind(p.name, args[i], scope, p.initializer);
    });
    const body = (fn.decl as ts.FunctionLikeDeclaration).body;
    if (!body) return unknown(env.mod.text(site), 'function without a body');
    s.depth++;
    this.pending.push([]);
    const crossing = env.mod.file === s.mainFile && fn.closure.mod.file !== s.mainFile;
    if (crossing) s.callSites.push(env.mod.range(site));
    try {
      let result: Val | undefined;
      if (!ts.isBlock(body)) result = this.eval(body, scope);
      else {
        const c = this.exec(body.statements, scope);
        if (c?.kind === 'return') result = c.value;
      }
      // Values returned on paths whose condition is not known: each is a possible result.
      const alts = this.pending[this.pending.length - 1]!;
      if (alts.length > 0) result = alternatives(s, result ? [...alts, result] : alts, site, env.mod);
      return result ?? unknown(env.mod.text(site), 'returns nothing');
    } finally {
      if (crossing) s.callSites.pop();
      this.pending.pop();
      s.depth--;
    }
  }

  /** Binds a parameter or declaration pattern; `init` is the default used when the value is missing. */
  bind(name: ts.BindingName, value: Val | undefined, env: Env, init?: ts.Expression): void {
    let v = value;
    if ((!v || (v.t === 'unknown' && v.text === 'undefined')) && init) v = this.eval(init, env);
    v ??= unknown(ts.isIdentifier(name) ? name.text : 'argument', 'argument not given');
    if (ts.isIdentifier(name)) {
      env.vars.set(name.text, v);
      return;
    }
    if (ts.isObjectBindingPattern(name)) {
      for (const el of name.elements) {
        const key = el.propertyName
          ? this.propName(el.propertyName, env)
          : ts.isIdentifier(el.name)
            ? el.name.text
            : undefined;
        const sub = el.dotDotDotToken ? v : key !== undefined ? this.member(v, key, el, env) : undefined;
        this.bind(
          el.name,
          sub && !(sub.t === 'unknown' && v.t === 'object') ? sub : undefined,
          env,
          el.initializer,
        );
      }
      return;
    }
    name.elements.forEach((el, i) => {
      if (ts.isOmittedExpression(el)) return;
      const sub = v.t === 'array' ? v.items[i] : undefined;
      this.bind(el.name, sub ?? (v.t === 'unknown' ? v : undefined), env, el.initializer);
    });
  }

  /** Runs statements; returns how they ended when not by reaching the end (`return`, `break`, ...). */
  exec(stmts: readonly ts.Statement[], env: Env): Completion | undefined {
    return exec(this, stmts, env);
  }

  stmt(st: ts.Statement, env: Env): Completion | undefined {
    return stmt(this, st, env);
  }
}

const GLOBAL_OBJECTS = new Set(['window', 'globalThis', 'self']);

const COMPOUND: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.PlusEqualsToken]: '+',
  [ts.SyntaxKind.MinusEqualsToken]: '-',
  [ts.SyntaxKind.AsteriskEqualsToken]: '*',
  [ts.SyntaxKind.SlashEqualsToken]: '/',
};
