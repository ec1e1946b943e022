/**
 * Statements: blocks, `if`/`switch` (one path when the condition is known, every path otherwise; see
 * branches.ts), loops with constant bounds (unrolled), `try`/`catch`, and how each ends (`return`, `break`, ...).
 */
import { ts } from 'ts-morph';
import { alternatives, type Completion } from './branches';
import type { Interp } from './interpreter';
import { MAX_NESTING, MAX_UNROLL, type Session } from './session';
import { Env, foldBinary, truthy, unknown, type Val } from './values';

/** Runs statements; returns how they ended when not by reaching the end (`return`, `break`, ...). */
export function exec(interp: Interp, stmts: readonly ts.Statement[], env: Env): Completion | undefined {
  for (const st of stmts)
    if (ts.isFunctionDeclaration(st) && st.name) env.vars.set(st.name.text, interp.fn(st, env));
  for (const st of stmts) {
    const r = stmt(interp, st, env);
    if (r) return r;
  }
  return undefined;
}

export function stmt(interp: Interp, st: ts.Statement, env: Env): Completion | undefined {
  const s = interp.session;
  s.step();
  if (s.nesting >= MAX_NESTING) {
    tooDeep(s, st, env);
    return undefined;
  }
  s.nesting++;
  try {
    return statement(interp, st, env);
  } finally {
    s.nesting--;
  }
}

/** Where nesting passes MAX_NESTING: the construct is not followed further, and the file says so. */
export function tooDeep(session: Session, node: ts.Node, env: Env): Val {
  session.note(
    `Nested more than ${MAX_NESTING} levels deep: not followed past this point.`,
    env.mod.range(node),
  );
  return unknown(env.mod.text(node), 'nested too deeply to follow');
}

function statement(interp: Interp, st: ts.Statement, env: Env): Completion | undefined {
  const mod = env.mod;
  if (ts.isVariableStatement(st)) {
    for (const d of st.declarationList.declarations)
      interp.bind(
        d.name,
        d.initializer ? interp.eval(d.initializer, env) : unknown(mod.text(d.name), 'no initial value'),
        env,
      );
  } else if (ts.isExpressionStatement(st)) interp.eval(st.expression, env);
  else if (ts.isReturnStatement(st))
    return {
      kind: 'return',
      value: st.expression ? interp.eval(st.expression, env) : unknown('undefined', 'undefined'),
    };
  else if (ts.isBlock(st)) return exec(interp, st.statements, new Env(mod, env));
  else if (ts.isIfStatement(st)) return ifStmt(interp, st, env);
  else if (ts.isSwitchStatement(st)) return switchStmt(interp, st, env);
  else if (ts.isForStatement(st)) return forLoop(interp, st, env);
  else if (ts.isForOfStatement(st)) return forOf(interp, st, env);
  else if (ts.isWhileStatement(st) || ts.isDoStatement(st) || ts.isForInStatement(st)) {
    interp.session.note('Loop bound not known statically: its body was read once.', mod.range(st));
    const scope = new Env(mod, env);
    if (ts.isForInStatement(st) && ts.isVariableDeclarationList(st.initializer))
      for (const d of st.initializer.declarations)
        interp.bind(d.name, unknown(mod.text(d.name), 'loop variable'), scope);
    return loopExit(stmt(interp, st.statement, scope));
  } else if (ts.isTryStatement(st)) return tryStmt(interp, st, env);
  else if (ts.isLabeledStatement(st)) return loopExit(stmt(interp, st.statement, env));
  else if (ts.isBreakStatement(st)) return { kind: 'break' };
  else if (ts.isContinueStatement(st)) return { kind: 'continue' };
  else if (ts.isThrowStatement(st)) return { kind: 'throw' };
  else if (ts.isClassDeclaration(st) && st.name) env.vars.set(st.name.text, interp.cls(st, env));
  return undefined;
}

function ifStmt(interp: Interp, st: ts.IfStatement, env: Env): Completion | undefined {
  const c = truthy(interp.eval(st.expression, env));
  if (c === true) return stmt(interp, st.thenStatement, env);
  if (c === false) return st.elseStatement ? stmt(interp, st.elseStatement, env) : undefined;
  interp.session.note(
    'Condition not known statically: both branches were read.',
    env.mod.range(st.expression),
  );
  const orElse = st.elseStatement;
  return paths(
    interp,
    [() => stmt(interp, st.thenStatement, env), orElse ? () => stmt(interp, orElse, env) : null],
    st,
    env,
  );
}

/** `switch`: the matching case when the value is known, else every case (each with its fall-through). */
function switchStmt(interp: Interp, st: ts.SwitchStatement, env: Env): Completion | undefined {
  const clauses = st.caseBlock.clauses;
  const scope = new Env(env.mod, env);
  const from = (i: number) => (): Completion | undefined => {
    for (let j = i; j < clauses.length; j++) {
      const r = exec(interp, clauses[j]!.statements, scope);
      if (r) return r.kind === 'break' ? undefined : r;
    }
    return undefined;
  };
  const d = interp.eval(st.expression, env);
  let match: number | undefined;
  let known = d.t === 'data';
  for (let i = 0; known && match === undefined && i < clauses.length; i++) {
    const c = clauses[i]!;
    if (!ts.isCaseClause(c)) continue;
    const eq = foldBinary('===', d, interp.eval(c.expression, scope));
    if (eq?.t !== 'data') known = false;
    else if (eq.v === true) match = i;
  }
  const dflt = clauses.findIndex((c) => ts.isDefaultClause(c));
  if (known) {
    const start = match ?? (dflt >= 0 ? dflt : undefined);
    return start === undefined ? undefined : from(start)();
  }
  interp.session.note(
    'Switch value not known statically: every case was read.',
    env.mod.range(st.expression),
  );
  const cases: ((() => Completion | undefined) | null)[] = clauses.map((_, i) => from(i));
  if (dflt < 0) cases.push(null);
  return paths(interp, cases, st, env);
}

/** `try { a } catch { b }`: the try block is read, then the catch block as a path that may or may not run. */
function tryStmt(interp: Interp, st: ts.TryStatement, env: Env): Completion | undefined {
  const r = exec(interp, st.tryBlock.statements, new Env(env.mod, env));
  const handler = st.catchClause;
  if (handler && r?.kind !== 'return') {
    const scope = new Env(env.mod, env);
    const decl = handler.variableDeclaration;
    if (decl) interp.bind(decl.name, unknown(env.mod.text(decl.name), 'the caught error'), scope);
    paths(interp, [() => exec(interp, handler.block.statements, scope), null], handler, env);
  }
  if (st.finallyBlock) {
    const f = exec(interp, st.finallyBlock.statements, new Env(env.mod, env));
    if (f) return f;
  }
  return r;
}

/**
 * Reads each path from the same state and merges what they assign (branches.ts). When every path returns or
 * throws, so does the statement; a value returned on only some paths is one possible result of the function.
 */
function paths(
  interp: Interp,
  options: ((() => Completion | undefined) | null)[],
  site: ts.Node,
  env: Env,
): Completion | undefined {
  const merge = (vals: Val[], name?: string): Val => alternatives(interp.session, vals, site, env.mod, name);
  const results = interp.log.runPaths(options, merge);
  const returned = results.flatMap((r) => (r.completion?.kind === 'return' ? [r.completion.value] : []));
  const ends = results.every((r) => r.completion?.kind === 'return' || r.completion?.kind === 'throw');
  if (ends) return returned.length > 0 ? { kind: 'return', value: merge(returned) } : { kind: 'throw' };
  interp.pending[interp.pending.length - 1]?.push(...returned);
  return undefined;
}

function forLoop(interp: Interp, st: ts.ForStatement, env: Env): Completion | undefined {
  const scope = new Env(env.mod, env);
  if (st.initializer) {
    if (ts.isVariableDeclarationList(st.initializer))
      for (const d of st.initializer.declarations)
        interp.bind(d.name, d.initializer ? interp.eval(d.initializer, scope) : undefined, scope);
    else interp.eval(st.initializer, scope);
  }
  for (let i = 0; ; i++) {
    const c = st.condition ? truthy(interp.eval(st.condition, scope)) : undefined;
    if (c === false) return undefined;
    if (c === undefined || i >= MAX_UNROLL) {
      if (i === 0 || i >= MAX_UNROLL) {
        const why =
          i === 0
            ? 'Loop bound not known statically: its body was read once.'
            : `Loop unrolled ${MAX_UNROLL} times only.`;
        interp.session.note(why, env.mod.range(st));
        if (i === 0) for (const d of loopVars(st)) scope.vars.set(d, unknown(d, 'loop variable'));
        if (i === 0) return loopExit(stmt(interp, st.statement, new Env(env.mod, scope)));
      }
      return undefined;
    }
    const r = stmt(interp, st.statement, new Env(env.mod, scope));
    if (r?.kind === 'break') return undefined;
    if (r && r.kind !== 'continue') return r;
    if (st.incrementor) interp.eval(st.incrementor, scope);
  }
}

function forOf(interp: Interp, st: ts.ForOfStatement, env: Env): Completion | undefined {
  const list = interp.eval(st.expression, env);
  const decl = ts.isVariableDeclarationList(st.initializer)
    ? st.initializer.declarations[0]?.name
    : undefined;
  const items =
    list.t === 'array'
      ? list.items.slice(0, MAX_UNROLL)
      : [unknown(env.mod.text(st.expression), 'not a known list')];
  if (list.t !== 'array')
    interp.session.note('Loop over a list not known statically: its body was read once.', env.mod.range(st));
  for (const item of items) {
    const scope = new Env(env.mod, env);
    if (decl) interp.bind(decl, item, scope);
    const r = stmt(interp, st.statement, scope);
    if (r?.kind === 'break') return undefined;
    if (r && r.kind !== 'continue') return r;
  }
  return undefined;
}

/** How a loop read once ends: its `break` and `continue` stay inside it. */
function loopExit(r: Completion | undefined): Completion | undefined {
  return r?.kind === 'break' || r?.kind === 'continue' ? undefined : r;
}

function loopVars(st: ts.ForStatement): string[] {
  if (!st.initializer || !ts.isVariableDeclarationList(st.initializer)) return [];
  return st.initializer.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
}
