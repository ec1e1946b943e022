/**
 * What a hand-written transform (transforms.ts) closes over: the layers and models its functions read from the
 * scope they were created in, which are its conditioner or branch.
 */
import { ts } from 'ts-morph';
import type { IrNode, LayerNode, SourceRange } from '../ir/model-ir';
import { walk } from '../ir/model-ir';
import type { Interp } from './interpreter';
import { modelBody } from './models';
import type { Env, Val } from './values';

type FnVal = Extract<Val, { t: 'fn' }>;

/** Values visited per instance when collecting what its functions close over. */
const REF_BUDGET = 4000;

/** Names a function declares itself (parameters, locals, nested functions): not references to its scope. */
function declaredNames(decl: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (
      (ts.isParameter(n) ||
        ts.isVariableDeclaration(n) ||
        ts.isBindingElement(n) ||
        ts.isFunctionDeclaration(n) ||
        ts.isClassDeclaration(n)) &&
      n.name &&
      ts.isIdentifier(n.name)
    )
      out.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(decl);
  return out;
}

/** An identifier read as a value (not a property name, a declaration's name or part of a type). */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (
    (ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) &&
    p.name === id
  )
    return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  return !ts.isLabeledStatement(p) && !ts.isBreakOrContinueStatement(p);
}

/**
 * The layers and models a transform's functions close over, reached from `roots` (its members, or the
 * parameters a function pair is called with): names its functions read, through the helpers they call, into
 * arrays and plain objects. Other transforms are parts of their own (a flow's steps are not its conditioner).
 * Models found are parts of the transform, not models of their own.
 */
export function closedParts(interp: Interp, roots: Val[], self?: Val, within?: ts.Node): IrNode[] {
  const s = interp.session;
  const parts: IrNode[] = [];
  const seen = new Set<unknown>();
  let budget = REF_BUDGET;
  const value = (v: Val | undefined, depth: number): void => {
    if (!v || depth > 6 || seen.has(v) || --budget < 0) return;
    seen.add(v);
    s.step();
    switch (v.t) {
      case 'layer':
        parts.push(v.node);
        return;
      case 'model':
        s.ownedModels.add(v.m.node);
        parts.push(modelBody(s, v.m));
        return;
      case 'array':
        for (const item of v.items) value(item, depth + 1);
        return;
      case 'object':
        if (v !== self && s.transformUses.has(v)) return;
        for (const p of v.props.values()) value(p, depth + 1);
        return;
      case 'fn':
        refs(v, depth + 1);
        return;
    }
  };
  const refs = (f: FnVal, depth: number): void => {
    const body = (f.decl as ts.FunctionLikeDeclaration).body;
    if (!body || seen.has(f.decl)) return;
    seen.add(f.decl);
    const own = declaredNames(f.decl);
    const plain = ts.isFunctionExpression(f.decl) || ts.isMethodDeclaration(f.decl);
    const visit = (n: ts.Node): void => {
      if (budget < 0 || ts.isTypeNode(n)) return;
      if (ts.isIdentifier(n)) {
        if (isReference(n) && !own.has(n.text)) value(resolve(interp, f.closure, n, within), depth);
        return;
      }
      if (n.kind === ts.SyntaxKind.ThisKeyword) {
        value(plain && self ? self : f.closure.find('this')?.vars.get('this'), depth);
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
  };
  for (const r of roots) value(r, 0);
  return dedupe(parts);
}

/**
 * What a free name of a function refers to in the scope the function was created in, if it is known. A
 * top-level name whose definition holds `within` (the literal being read) is that definition itself, still
 * running: not read again.
 */
function resolve(interp: Interp, env: Env, id: ts.Identifier, within?: ts.Node): Val | undefined {
  const scope = env.find(id.text);
  if (scope) return scope.vars.get(id.text);
  const mod = env.mod;
  const decl = mod.decls.get(id.text);
  if (decl && within && decl.pos <= within.pos && within.end <= decl.end) return undefined;
  return decl || mod.imports.has(id.text) ? interp.lookupTop(id.text, mod, id) : undefined;
}

export const rangeKey = (r: SourceRange): string =>
  `${r.file}:${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`;

/** Parts without repeats: a layer also held by a model among the parts is that model's. */
function dedupe(parts: IrNode[]): IrNode[] {
  const inside = new Set<IrNode>();
  for (const p of parts) if (p.kind === 'block') walk(p, (n) => n !== p && inside.add(n));
  const seen = new Set<IrNode>();
  return parts.filter((p) => {
    if (inside.has(p) || seen.has(p)) return false;
    seen.add(p);
    return true;
  });
}

export function layersIn(nodes: IrNode[]): LayerNode[] {
  const out: LayerNode[] = [];
  for (const n of nodes) walk(n, (x) => x.kind === 'layer' && out.push(x));
  return out;
}
