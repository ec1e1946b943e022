/**
 * What names stand for while reading a tensor expression: a parameter of an inlined helper (bound to the call's
 * argument), a local (every definition that may reach the use), a field or module value (the `ScaleResolver`'s
 * answer), and parts of what they evaluate to (`const { scale } = this.params(x)`, `const [s, t] = ...`). Where a
 * value is one of several, a `Choices` map may pick one. The base of scale-reader.ts's `Reader`.
 */
import { ts } from 'ts-morph';
import { Locals } from './locals';
import type { Leaf, ScaleResolver } from './scale-form';

export const MAX_DEPTH = 24;

/** A function's `return` expressions, in order (nested functions excluded); an arrow's body. */
export function returnedExpressions(fn: ts.SignatureDeclaration): ts.Expression[] {
  if (!ts.isFunctionLike(fn)) return [];
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!body) return [];
  if (!ts.isBlock(body)) return [body];
  const found: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isReturnStatement(n)) {
      if (n.expression) found.push(n.expression);
    } else if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** Names bound while inlining a function: its parameters (read in the caller's scope) and its locals. */
export interface Scope {
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

/** `a + b`, `a.mul(b)`, `tf.div(a, b)`: the arithmetic the reader follows, written either way. */
export interface Arith {
  op: 'add' | 'sub' | 'mul' | 'div';
  a: ts.Expression;
  b: ts.Expression;
}

const BINARY: Partial<Record<ts.SyntaxKind, Arith['op']>> = {
  [ts.SyntaxKind.PlusToken]: 'add',
  [ts.SyntaxKind.MinusToken]: 'sub',
  [ts.SyntaxKind.AsteriskToken]: 'mul',
  [ts.SyntaxKind.SlashToken]: 'div',
};

/**
 * Which alternative to read where a value is one of several: a conditional (0: when true, 1: when false), a name
 * defined on several paths, a helper with several returns (in order), a masked mix (0: the mask's side).
 */
export type Choices = ReadonlyMap<ts.Node, number>;

/** A name's value: an expression read in a scope, or with `key` one part of it. */
export interface Binding {
  bound: ts.Expression;
  scope: Scope | undefined;
  key?: string | number;
}

export class NameReader {
  constructor(
    protected r: ScaleResolver,
    protected choices: Choices = new Map(),
  ) {}

  /** Of the alternatives `node` offers, the one chosen, or all of them. */
  protected pick<T>(node: ts.Node, alts: readonly T[]): readonly T[] {
    const i = this.choices.get(node);
    const chosen = i === undefined ? undefined : alts[i];
    return chosen === undefined ? alts : [chosen];
  }

  protected arith(e: ts.Expression): Arith | undefined {
    if (ts.isBinaryExpression(e)) {
      const op = BINARY[e.operatorToken.kind];
      return op ? { op, a: e.left, b: e.right } : undefined;
    }
    if (!ts.isCallExpression(e)) return undefined;
    const use = this.r.op(e);
    const [a, b] = use?.operands ?? [];
    if (!use || !a || !b || !['add', 'sub', 'mul', 'div'].includes(use.op)) return undefined;
    return { op: use.op as Arith['op'], a, b };
  }

  /** What `e` stands for: bindings (a parameter of an inlined function, a local, a field) or a leaf. */
  protected lookup(
    e: ts.Identifier | ts.PropertyAccessExpression,
    scope: Scope | undefined,
  ): Exclude<Leaf, { kind: 'expr' }> | Binding[] {
    if (ts.isIdentifier(e)) {
      for (let s = scope; s; s = s.outer) {
        const p = s.params.get(e.text);
        if (p) return [{ bound: p.expr, scope: p.scope }];
        const defs = s.locals.reaching(e.text, e);
        if (defs.length)
          return defs.map((def) => ({
            bound: def.expr,
            scope: s,
            ...(def.key === undefined ? {} : { key: def.key }),
          }));
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

  /** The bindings of a name with their parts picked; a leaf when it has none. */
  protected bindings(
    e: ts.Identifier | ts.PropertyAccessExpression,
    scope: Scope | undefined,
    d: number,
  ): Exclude<Leaf, { kind: 'expr' }> | Binding[] {
    const leaf = this.lookup(e, scope);
    return Array.isArray(leaf) ? leaf.flatMap((b) => this.resolved(b, d)) : leaf;
  }

  /** What a binding stands for once its key picks a part; the whole when the part cannot be picked. */
  protected resolved(b: Binding, d: number): Binding[] {
    if (b.key === undefined) return [b];
    return this.partOf(b.bound, b.scope, b.key, d) ?? [{ bound: b.bound, scope: b.scope }];
  }

  /**
   * The part `key` of what `e` evaluates to: a property of a returned object literal, an element of a returned
   * array. Undefined when it cannot be picked: a part of a tensor (a split) has the tensor's extent.
   */
  protected partOf(
    e: ts.Expression,
    scope: Scope | undefined,
    key: string | number,
    depth: number,
  ): Binding[] | undefined {
    e = strip(e);
    if (depth > MAX_DEPTH) return undefined;
    const d = depth + 1;
    const all = (list: readonly Binding[]): Binding[] | undefined => {
      const out: Binding[] = [];
      for (const b of list) {
        const part = this.partOf(b.bound, b.scope, key, d);
        if (!part) return undefined;
        out.push(...part);
      }
      return out;
    };
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
    if (ts.isConditionalExpression(e))
      return all([e.whenTrue, e.whenFalse].map((x) => ({ bound: x, scope })));
    if (ts.isIdentifier(e)) {
      const l = this.lookup(e, scope);
      return Array.isArray(l) ? all(l.flatMap((x) => this.resolved(x, d))) : undefined;
    }
    if (ts.isCallExpression(e)) {
      const inl = this.inlined(e, scope);
      if (inl) return all(inl);
    }
    return undefined;
  }

  /** A helper's return values, read in a scope binding its parameters to the call's arguments. */
  protected inlined(call: ts.CallExpression, scope: Scope | undefined): Binding[] | undefined {
    const f = this.r.inline(call);
    const returns = f ? returnedExpressions(f.fn) : [];
    if (!f || !returns.length) return undefined;
    const inner: Scope = {
      params: new Map(),
      locals: ts.isFunctionLike(f.fn) ? new Locals().collect(f.fn) : new Locals(),
      outer: undefined,
    };
    f.fn.parameters.forEach((p, i) => {
      const arg = f.args[i];
      if (ts.isIdentifier(p.name) && arg) inner.params.set(p.name.text, { expr: arg, scope });
    });
    return returns.map((bound) => ({ bound, scope: inner }));
  }
}
