/**
 * A small abstract interpreter over model-building code: constants, object spreads, arrays, helper calls
 * (inlined with their arguments), loops with constant bounds (unrolled), `model.add`, `layers.push`. Purely
 * syntactic: no type checker, so it stays cheap enough for every keystroke.
 */
import { ts } from 'ts-morph';
import { evalCall, evalNew } from './calls';
import type { ModuleCtx } from './module';
import { MAX_DEPTH, MAX_UNROLL, type Session } from './session';
import { Env, foldBinary, num, truthy, unknown, type Val } from './values';

/** A function's `return`, carried out of nested statements. */
interface Returned {
  value: Val;
}

export class Interp {
  constructor(readonly session: Session) {}

  eval(node: ts.Expression, env: Env): Val {
    this.session.step();
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
      if (c === undefined) return unknown(mod.text(node), 'condition not known statically', mod.range(node));
      return this.eval(c ? node.whenTrue : node.whenFalse, env);
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
      return { t: 'array', items };
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
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node))
      return { t: 'fn', decl: node, closure: env };
    if (ts.isClassExpression(node)) return { t: 'class', decl: node, mod };
    if (ts.isAwaitExpression(node)) return this.eval(node.expression, env);
    return unknown(mod.text(node), 'expression not read statically', mod.range(node));
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
        if (ts.isFunctionDeclaration(decl)) v = { t: 'fn', decl, closure: mod.top };
        else if (ts.isClassDeclaration(decl)) v = { t: 'class', decl, mod };
        else if (ts.isVariableDeclaration(decl) && decl.initializer) v = this.eval(decl.initializer, mod.top);
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
    return unknown(name, 'not a constant in this file');
  }

  exported(other: ModuleCtx, exportName: string, at: ts.Node, from: ModuleCtx): Val {
    const local = other.exports.get(exportName);
    if (local === undefined) {
      this.session.note(
        `'${exportName}' is not exported by ${other.file} (re-exports are not followed).`,
        from.range(at),
      );
      return unknown(exportName, 'not found in the imported file');
    }
    return this.lookupTop(local, other, at);
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
        if (target.t === 'object') target.props.set(node.left.name.text, v);
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
    (env.find(name) ?? env.mod.top).vars.set(name, v);
  }

  private object(node: ts.ObjectLiteralExpression, env: Env): Val {
    const props = new Map<string, Val>();
    let partial: string | undefined;
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
      }
    }
    return partial === undefined ? { t: 'object', props } : { t: 'object', props, partial };
  }

  propName(name: ts.PropertyName, env: Env): string | undefined {
    if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
    if (ts.isComputedPropertyName(name)) {
      const v = this.eval(name.expression, env);
      return v.t === 'data' ? String(v.v) : undefined;
    }
    return undefined;
  }

  /** Calls a user function with its arguments bound: the helper is inlined at the call site. */
  callFn(fn: Extract<Val, { t: 'fn' }>, args: (Val | undefined)[], site: ts.Node, env: Env): Val {
    const s = this.session;
    if (s.depth >= MAX_DEPTH) return unknown(env.mod.text(site), 'helper calls nested too deeply');
    const scope = new Env(fn.closure.mod, fn.closure);
    fn.decl.parameters.forEach((p, i) => {
      if (p.dotDotDotToken)
        this.bind(p.name, { t: 'array', items: args.slice(i).filter((a): a is Val => !!a) }, scope);
      else this.bind(p.name, args[i], scope, p.initializer);
    });
    const body = (fn.decl as ts.FunctionLikeDeclaration).body;
    if (!body) return unknown(env.mod.text(site), 'function without a body');
    s.depth++;
    try {
      if (!ts.isBlock(body)) return this.eval(body, scope);
      return this.exec(body.statements, scope)?.value ?? unknown(env.mod.text(site), 'returns nothing');
    } finally {
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

  /** Runs statements; returns the value of a `return` reached. */
  exec(stmts: readonly ts.Statement[], env: Env): Returned | undefined {
    for (const st of stmts)
      if (ts.isFunctionDeclaration(st) && st.name)
        env.vars.set(st.name.text, { t: 'fn', decl: st, closure: env });
    for (const st of stmts) {
      const r = this.stmt(st, env);
      if (r) return r;
    }
    return undefined;
  }

  stmt(st: ts.Statement, env: Env): Returned | undefined {
    this.session.step();
    const mod = env.mod;
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations)
        this.bind(
          d.name,
          d.initializer ? this.eval(d.initializer, env) : unknown(mod.text(d.name), 'no initial value'),
          env,
        );
    } else if (ts.isExpressionStatement(st)) this.eval(st.expression, env);
    else if (ts.isReturnStatement(st))
      return { value: st.expression ? this.eval(st.expression, env) : unknown('undefined', 'undefined') };
    else if (ts.isBlock(st)) return this.exec(st.statements, new Env(mod, env));
    else if (ts.isIfStatement(st)) {
      const c = truthy(this.eval(st.expression, env));
      if (c === undefined)
        this.session.note(
          'Condition not known statically: both branches were read.',
          mod.range(st.expression),
        );
      if (c !== false) {
        const r = this.stmt(st.thenStatement, env);
        if (r && c) return r;
      }
      if (c !== true && st.elseStatement) {
        const r = this.stmt(st.elseStatement, env);
        if (r && c === false) return r;
      }
    } else if (ts.isForStatement(st)) return this.forLoop(st, env);
    else if (ts.isForOfStatement(st)) return this.forOf(st, env);
    else if (ts.isWhileStatement(st) || ts.isDoStatement(st)) {
      this.session.note('Loop bound not known statically: its body was read once.', mod.range(st));
      return this.stmt(st.statement, new Env(mod, env));
    } else if (ts.isTryStatement(st)) return this.exec(st.tryBlock.statements, new Env(mod, env));
    else if (ts.isClassDeclaration(st) && st.name) env.vars.set(st.name.text, { t: 'class', decl: st, mod });
    return undefined;
  }

  private forLoop(st: ts.ForStatement, env: Env): Returned | undefined {
    const scope = new Env(env.mod, env);
    if (st.initializer) {
      if (ts.isVariableDeclarationList(st.initializer))
        for (const d of st.initializer.declarations)
          this.bind(d.name, d.initializer ? this.eval(d.initializer, scope) : undefined, scope);
      else this.eval(st.initializer, scope);
    }
    for (let i = 0; ; i++) {
      const c = st.condition ? truthy(this.eval(st.condition, scope)) : undefined;
      if (c === false) return undefined;
      if (c === undefined || i >= MAX_UNROLL) {
        if (i === 0 || i >= MAX_UNROLL) {
          const why =
            i === 0
              ? 'Loop bound not known statically: its body was read once.'
              : `Loop unrolled ${MAX_UNROLL} times only.`;
          this.session.note(why, env.mod.range(st));
          if (i === 0) for (const d of loopVars(st)) scope.vars.set(d, unknown(d, 'loop variable'));
          if (i === 0) return this.stmt(st.statement, new Env(env.mod, scope));
        }
        return undefined;
      }
      const r = this.stmt(st.statement, new Env(env.mod, scope));
      if (r) return r;
      if (st.incrementor) this.eval(st.incrementor, scope);
    }
  }

  private forOf(st: ts.ForOfStatement, env: Env): Returned | undefined {
    const list = this.eval(st.expression, env);
    const decl = ts.isVariableDeclarationList(st.initializer)
      ? st.initializer.declarations[0]?.name
      : undefined;
    const items =
      list.t === 'array'
        ? list.items.slice(0, MAX_UNROLL)
        : [unknown(env.mod.text(st.expression), 'not a known list')];
    if (list.t !== 'array')
      this.session.note('Loop over a list not known statically: its body was read once.', env.mod.range(st));
    for (const item of items) {
      const scope = new Env(env.mod, env);
      if (decl) this.bind(decl, item, scope);
      const r = this.stmt(st.statement, scope);
      if (r) return r;
    }
    return undefined;
  }
}

function loopVars(st: ts.ForStatement): string[] {
  if (!st.initializer || !ts.isVariableDeclarationList(st.initializer)) return [];
  return st.initializer.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
}

const COMPOUND: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.PlusEqualsToken]: '+',
  [ts.SyntaxKind.MinusEqualsToken]: '-',
  [ts.SyntaxKind.AsteriskEqualsToken]: '*',
  [ts.SyntaxKind.SlashEqualsToken]: '/',
};
