/**
 * Local definitions by name, read from the TS AST, and which of them reach a use: `const s = ...`, `let s; s = ...`,
 * destructuring, and the definitions of every branch of an `if/else` or `switch` (a value chosen on a path not
 * known statically is any of them).
 */
import { ts } from 'ts-morph';

/**
 * A definition: `expr`, or with `key` one part of it (`const { scale } = this.params(x)`: key 'scale';
 * `const [s, t] = this.split(x)`: key 1 for t).
 */
export interface Def {
  expr: ts.Expression;
  key?: string | number;
}

interface Entry extends Def {
  /** The function the definition is written in. */
  fn: ts.Node | undefined;
}

/** The definitions a statement may leave behind, and whether it surely leaves one (every path defines). */
interface Left {
  defs: Entry[];
  definite: boolean;
}

const NONE: Left = { defs: [], definite: false };

export function containsNode(outer: ts.Node, inner: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end;
}

function enclosingFunction(n: ts.Node): ts.Node | undefined {
  for (let p = n.parent as ts.Node | undefined; p; p = p.parent)
    if (ts.isFunctionLike(p) && !ts.isFunctionTypeNode(p)) return p;
  return undefined;
}

function statementsOf(n: ts.Node): readonly ts.Statement[] | undefined {
  if (
    ts.isBlock(n) ||
    ts.isSourceFile(n) ||
    ts.isModuleBlock(n) ||
    ts.isCaseClause(n) ||
    ts.isDefaultClause(n)
  )
    return n.statements;
  return undefined;
}

/**
 * Local definitions by name: `const x = e`, `let x; x = e`, and destructuring (`const [a, b] = e`,
 * `const { s, t } = e`: parts of e). Nested functions are read too (`tf.tidy`).
 */
export class Locals {
  private defs = new Map<string, Entry[]>();

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

  /** The last definition that reaches `use` in source order (so `s = tf.tanh(s)` reads the old s). */
  at(name: string, use: ts.Node): Def | undefined {
    const all = this.reaching(name, use);
    return all.reduce<Def | undefined>((a, b) => (!a || b.expr.end > a.expr.end ? b : a), undefined);
  }

  /**
   * Every definition that may reach `use`: walking back from it, the statements before it in each enclosing
   * block, until one defines the name on every path; `if/else` and `switch` branches each give theirs, a loop
   * body or a branch without a definition lets the earlier one through.
   */
  reaching(name: string, use: ts.Node): Def[] {
    // Only definitions in a function that encloses the use are in scope.
    const list = this.defs.get(name)?.filter((d) => !d.fn || containsNode(d.fn, use));
    if (!list?.length) return [];
    const before = list.filter((d) => d.expr.end <= use.pos);
    if (!before.length) {
      // Used before any definition in source order (a closure called later): the one definition, if single.
      const only = list.length === 1 && !containsNode(list[0]!.expr, use) ? list[0] : undefined;
      return only ? [plain(only)] : [];
    }
    const found: Entry[] = [];
    let definite = false;
    for (let n: ts.Node = use; n.parent && !definite; n = n.parent) {
      const stmts = statementsOf(n.parent);
      if (!stmts) continue;
      for (let i = stmts.indexOf(n as ts.Statement) - 1; i >= 0 && !definite; i--) {
        const left = this.left(stmts[i]!, before);
        found.push(...left.defs);
        definite = left.definite;
      }
    }
    if (!found.length) {
      // Defined earlier in the same statement (`(s = h.exp(), x.mul(s))`): the last one before the use.
      const last = before.reduce((a, b) => (b.expr.end > a.expr.end ? b : a));
      return [plain(last)];
    }
    return [...new Set(found)].map(plain);
  }

  /** What executing `s` leaves as the definition of the name, among `defs`. */
  private left(s: ts.Statement, defs: readonly Entry[]): Left {
    const inside = defs.filter((d) => containsNode(s, d.expr));
    if (!inside.length) return NONE;
    if (ts.isIfStatement(s)) {
      const a = this.left(s.thenStatement, inside);
      const b = s.elseStatement ? this.left(s.elseStatement, inside) : NONE;
      return { defs: [...a.defs, ...b.defs], definite: a.definite && b.definite };
    }
    if (ts.isBlock(s)) return this.sequence(s.statements, inside);
    if (ts.isLabeledStatement(s)) return this.left(s.statement, inside);
    if (ts.isDoStatement(s)) return this.left(s.statement, inside);
    if (ts.isIterationStatement(s, false))
      return { defs: this.left(s.statement, inside).defs, definite: false };
    if (ts.isSwitchStatement(s)) {
      const clauses = s.caseBlock.clauses.map((c) => this.sequence(c.statements, inside));
      const hasDefault = s.caseBlock.clauses.some(ts.isDefaultClause);
      return {
        defs: clauses.flatMap((c) => c.defs),
        definite: hasDefault && clauses.every((c) => c.definite),
      };
    }
    if (ts.isTryStatement(s)) {
      const fin = s.finallyBlock ? this.left(s.finallyBlock, inside) : NONE;
      if (fin.definite) return fin;
      const parts = [
        this.left(s.tryBlock, inside),
        s.catchClause ? this.left(s.catchClause.block, inside) : NONE,
      ];
      return { defs: [...parts.flatMap((p) => p.defs), ...fin.defs], definite: false };
    }
    // Any other statement (an assignment, a declaration, a call whose callback assigns): its last definition.
    return { defs: [inside.reduce((a, b) => (b.expr.end > a.expr.end ? b : a))], definite: true };
  }

  /** Statements run in order: the last one that defines on every path hides the ones before it. */
  private sequence(stmts: readonly ts.Statement[], defs: readonly Entry[]): Left {
    const out: Entry[] = [];
    for (let i = stmts.length - 1; i >= 0; i--) {
      const left = this.left(stmts[i]!, defs);
      out.push(...left.defs);
      if (left.definite) return { defs: out, definite: true };
    }
    return { defs: out, definite: false };
  }
}

function plain(d: Entry): Def {
  return d.key === undefined ? { expr: d.expr } : { expr: d.expr, key: d.key };
}
