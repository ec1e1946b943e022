/**
 * One file to a FileIr: run its top level in order, then each top-level function on its own (factories return
 * models, helpers create layers), then read custom layer classes and transforms written without classes. Every
 * statement is guarded: a failure becomes a note and the rest of the file is still read.
 */
import { ts } from 'ts-morph';
import type { CustomLayerInfo, FileIr, IrNode, LayerNode, ModelNode, SourceRange } from '../ir/model-ir';
import { walk } from '../ir/model-ir';
import { classNameOf } from './class-name';
import { analyzeClass, customInstance } from './custom-layers';
import { Interp } from './interpreter';
import { mergeMarks, readMarks, type Marks } from './jsdoc';
import { MERGE_LAYERS } from './layers';
import { functionName, readUnreached } from './unreached';
import { decideIntents } from './intent';
import { finishModel, modelBody } from './models';
import { isAmbient, type ModuleCtx } from './module';
import { BudgetExceeded, Session } from './session';
import { transformModels } from './transform-models';
import { readPairs } from './transforms';
import { unknown, type ModelBuild, type Val } from './values';

interface Registered {
  build: ModelBuild;
  name: string;
  nameNode?: ts.Node;
  marks: Marks;
  exportName?: string;
  /** Bound to a top-level name (`const m = ...`), not only built inside a function. */
  bound: boolean;
}

export function extractModule(mod: ModuleCtx): FileIr {
  const session = new Session();
  session.mainFile = mod.file;
  const interp = new Interp(session);
  const regs: Registered[] = [];
  const byNode = new Map<ts.Node, Registered>();
  let outOfBudget = false;
  const guard = (at: ts.Node, f: () => void): void => {
    if (outOfBudget) return;
    try {
      f();
    } catch (e) {
      if (e instanceof BudgetExceeded) {
        outOfBudget = true;
        session.note('The file is too large to read completely; the rest was skipped.', mod.range(at));
      } else if (e instanceof RangeError) tooDeepHere(at);
      else
        session.note(
          `Skipped after an internal error: ${e instanceof Error ? e.message : String(e)}`,
          mod.range(at),
        );
    }
  };
  // A stack overflow the nesting limits did not prevent (a chain of 20,000 `+`, say): that part is lost, the rest
  // is read.
  const tooDeepHere = (at: ts.Node): void =>
    session.note('Nested too deeply to follow: this part was skipped.', mod.range(at));
  /** For the whole-file passes at the end: on a stack overflow, what was built stands without them. */
  const unlessTooDeep = <T>(f: () => T, otherwise: T): T => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      tooDeepHere(mod.sf);
      return otherwise;
    }
  };
  const exportOf = (local: string): string | undefined => {
    for (const [exp, loc] of mod.exports) if (loc === local) return exp;
    return undefined;
  };
  const register = (
    build: ModelBuild,
    name: string,
    nameNode: ts.Node | undefined,
    marks: Marks,
    exportName: string | undefined,
    merge: boolean,
  ): void => {
    // A factory's own evaluation merges its JSDoc into every model its call sites built.
    const prev = regs.filter((r) => r.build === build || (merge && r.build.node === build.node));
    if (prev.length > 0) {
      for (const p of prev) {
        p.marks = mergeMarks(p.marks, marks);
        p.exportName ??= exportName;
      }
      return;
    }
    const r: Registered = { build, name, marks, bound: !merge };
    if (nameNode) r.nameNode = nameNode;
    if (exportName) r.exportName = exportName;
    regs.push(r);
    if (!byNode.has(build.node)) byNode.set(build.node, r);
  };

  // 1. The top level, in order, so `const m = tf.sequential(); m.add(...)` is seen whole.
  for (const st of mod.sf.statements) {
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations)
        guard(d, () => {
          if (!ts.isIdentifier(d.name)) {
            interp.bind(d.name, d.initializer ? interp.eval(d.initializer, mod.top) : undefined, mod.top);
            return;
          }
          const name = d.name.text;
          let v = mod.top.vars.get(name);
          if (!v) {
            v = d.initializer
              ? interp.eval(d.initializer, mod.top)
              : isAmbient(d)
                ? interp.lookupTop(name, mod, d)
                : unknown(name, 'no initial value');
            mod.top.vars.set(name, v);
          }
          if (v.t === 'model') register(v.m, name, d.name, readMarks(d, mod.file), exportOf(name), false);
        });
    } else if (ts.isExportAssignment(st)) {
      guard(st, () => {
        const v =
          mod.decls.get('default') === st.expression
            ? interp.lookupTop('default', mod, st)
            : interp.eval(st.expression, mod.top);
        if (v.t === 'model') register(v.m, 'default', undefined, readMarks(st, mod.file), 'default', false);
      });
    } else if (mod.exportStatements.has(st)) {
      // `exports.model = tf.sequential(...)`, `module.exports = { build: () => ... }`: each value once.
      for (const { key, exportName } of mod.exportStatements.get(st)!)
        guard(st, () => {
          const v = interp.lookupTop(key, mod, st);
          const decl = mod.decls.get(key);
          const nameNode = decl && functionName(decl)?.node;
          if (v.t === 'model')
            register(v.m, exportName, nameNode, readMarks(st, mod.file), exportName, false);
        });
    } else if (!ts.isFunctionDeclaration(st) && !ts.isClassDeclaration(st) && !ts.isImportDeclaration(st)) {
      guard(st, () => void interp.stmt(st, mod.top));
    }
  }

  // 2. Each top-level function on its own, parameters unknown (defaults used): factories and loose helpers.
  for (const [name, decl] of mod.decls) {
    const fnDecl = functionOf(decl);
    if (!fnDecl) continue;
    guard(decl, () => {
      const f = interp.lookupTop(name, mod, decl);
      if (f.t !== 'fn') return;
      const v = interp.callFn(
        f,
        fnDecl.parameters.map(() => undefined),
        decl,
        mod.top,
      );
      const nameNode = ts.isExpression(decl)
        ? functionName(decl)?.node
        : (decl as ts.FunctionDeclaration | ts.VariableDeclaration).name;
      const display = name.replace(/^exports\./, '');
      // JSDoc of `exports.build = () => ...` is on the statement, of `{ build: () => ... }` on the property.
      const host = !ts.isExpression(decl)
        ? decl
        : ts.isBinaryExpression(decl.parent)
          ? decl.parent.parent
          : decl.parent;
      const marks = readMarks(host, mod.file);
      if (v.t === 'model') register(v.m, display, nameNode, marks, exportOf(name), true);
    });
  }

  // 3. Custom layer classes declared here: class declarations and class expressions of the top level.
  const classes: {
    info: CustomLayerInfo;
    val: Extract<Val, { t: 'class' }>;
    decl: ts.ClassLikeDeclaration;
  }[] = [];
  for (const decl of topLevelClasses(mod.sf)) {
    guard(decl, () => {
      const val = { t: 'class' as const, decl, mod };
      const info = analyzeClass(interp, val);
      if (info) classes.push({ info, val, decl });
    });
  }

  // 4. What nothing above ran: callbacks, nested functions, object-literal methods, plain classes' methods.
  readUnreached(interp, mod, guard, (v, fn) => {
    const named = v.t === 'model' ? functionName(fn) : undefined;
    if (v.t === 'model' && named)
      register(v.m, named.name, named.node, readMarks(named.decl, mod.file), undefined, true);
  });

  // Function pairs (`xForward` / `xInverse`) are transforms even when nothing here calls them with data.
  guard(mod.sf, () => readPairs(interp, mod));

  // 5. Models built but never bound to a name: named after the class field holding them, or the enclosing
  // function.
  for (const b of session.models) {
    if (b.mod !== mod || byNode.has(b.node)) continue;
    const field = session.fieldNames.get(b);
    const name = field?.name ?? enclosingName(b.node) ?? 'model';
    register(b, name, field?.node, readMarks(undefined, mod.file), undefined, true);
  }

  // What was built before the budget ran out is still reported: turning it into models gets a budget of its own.
  if (outOfBudget) {
    session.freshBudget();
    outOfBudget = false;
  }
  const models: ModelNode[] = [];
  const exportedModels = new Set(regs.filter((r) => r.exportName !== undefined).map((r) => r.name));
  for (const r of regs) {
    // A sub-network a layer class builds in its constructor is linted as part of that class.
    if (session.ownedModels.has(r.build.node) && !r.bound && !r.exportName) continue;
    guard(r.build.node, () => {
      const body = modelBody(session, r.build);
      const range = r.nameNode ? mod.range(r.nameNode) : r.build.range;
      const model = finishModel(
        session,
        { name: r.name, api: r.build.api, range, body },
        r.marks,
        r.exportName,
      );
      // A sub-network of an exported factory (`const cnn = tf.sequential()` inside buildGenerator): audited through it.
      const top = r.exportName === undefined ? topLevelName(r.build.node) : undefined;
      if (top !== undefined && top !== r.name && exportedModels.has(top)) model.builtInside = top;
      models.push(model);
    });
  }

  // 6. Layer classes no model here uses become models of their own, so their couplings are still linted.
  const used = new Set<string>();
  for (const m of models)
    walk(m.body, (n) => n.kind === 'layer' && n.customClass && !n.customClassFile && used.add(n.customClass));
  for (const { info, val, decl } of classes) {
    if (used.has(info.className)) continue;
    guard(decl, () => {
      const inst = customInstance(interp, val, [], classNameOf(decl).node, mod.top);
      if (inst.t !== 'layer') return;
      const body = {
        kind: 'block' as const,
        id: session.id('b'),
        wiring: 'sequence' as const,
        children: [inst.node],
        range: info.range,
      };
      // A coupling class's pseudo-model is invertible by its structure (intent reads the coupling block).
      const marks = readMarks(decl, mod.file);
      const exportName = exportOf(info.className);
      models.push(
        finishModel(
          session,
          { name: info.className, api: 'custom-layer', range: info.range, body },
          marks,
          exportName,
        ),
      );
    });
  }

  // 7. Transforms written without classes: lists of them are flows; kinds no model uses are models of their own.
  const transforms = unlessTooDeep(() => transformModels(interp, mod, models), { models: [], classes: [] });
  for (const t of transforms.models)
    models.push(finishModel(session, t, readMarks(undefined, mod.file), exportOf(t.name)));

  return {
    file: mod.file,
    models: unlessTooDeep(() => decideIntents(models, mod, [...session.classes.values()]), models),
    customLayers: [...classes.map((c) => c.info), ...transforms.classes],
    looseLayers: looseLayers(session.layers, models, mod.file),
    notes: session.notes,
  };
}

/** Classes whose definition runs with the file: declarations, and class expressions outside any function. */
function topLevelClasses(sf: ts.SourceFile): ts.ClassLikeDeclaration[] {
  const out: ts.ClassLikeDeclaration[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isClassLike(n)) {
      out.push(n);
      return;
    }
    if (ts.isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
  };
  for (const st of sf.statements) {
    if (ts.isClassDeclaration(st)) out.push(st);
    // Only statements that can hold a class expression are walked: plain layer code costs nothing.
    else if (!ts.isImportDeclaration(st) && /\bclass\b/.test(sf.text.slice(st.pos, st.end))) visit(st);
  }
  return out;
}

function functionOf(decl: ts.Node): ts.SignatureDeclaration | undefined {
  if (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) return decl;
  if (ts.isArrowFunction(decl) || ts.isFunctionExpression(decl)) return decl;
  if (ts.isVariableDeclaration(decl) && decl.initializer) {
    const init = decl.initializer;
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
  }
  return undefined;
}

/** The name of the top-level function or variable whose statement holds `node` (`exports.x = ...`: x). */
function topLevelName(node: ts.Node): string | undefined {
  let st: ts.Node = node;
  while (st.parent !== undefined && !ts.isSourceFile(st.parent)) st = st.parent;
  if (ts.isFunctionDeclaration(st)) return st.name?.text;
  if (ts.isVariableStatement(st)) {
    const d = st.declarationList.declarations.find((v) => v.pos <= node.pos && node.end <= v.end);
    return d !== undefined && ts.isIdentifier(d.name) ? d.name.text : undefined;
  }
  if (ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression)) {
    const left = st.expression.left;
    if (ts.isPropertyAccessExpression(left)) return left.name.text;
  }
  return undefined;
}

function enclosingName(node: ts.Node): string | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (
      (ts.isFunctionDeclaration(n) ||
        ts.isMethodDeclaration(n) ||
        ts.isVariableDeclaration(n) ||
        ts.isClassDeclaration(n)) &&
      n.name &&
      ts.isIdentifier(n.name)
    )
      return n.name.text;
  }
  return undefined;
}

const key = (r: SourceRange): string =>
  `${r.file}:${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`;

/** Layers of this file that no model reaches, once per source range (helpers may have run several times). */
function looseLayers(all: LayerNode[], models: ModelNode[], file: string): LayerNode[] {
  const inModels = new Set<string>();
  const mark = (n: IrNode): void => {
    if (n.kind === 'layer') inModels.add(key(n.range));
  };
  for (const m of models) walk(m.body, mark);
  const out: LayerNode[] = [];
  for (const l of all) {
    const k = key(l.range);
    // Merge layers only wire a residual or graph block, which stands in for them.
    if (l.range.file !== file || inModels.has(k) || (l.origin === 'tfjs' && MERGE_LAYERS.has(l.layerType)))
      continue;
    inModels.add(k);
    out.push(l);
  }
  return out;
}
