/**
 * Code that nothing in the file calls is still model code: callbacks (`tf.ready().then(() => ...)`,
 * `button.addEventListener('click', ...)`, `setTimeout`), functions nested in others, object-literal methods and the
 * methods of plain classes. After the top level and the top-level functions have run, every function-like that
 * never ran is read once, outermost first, in the scope it was created in (or the module's, if it never was),
 * with unknown arguments. Layer classes are read by `analyzeClass`, never run.
 */
import { ts } from 'ts-morph';
import { classNameOf } from './class-name';
import { analyzeClass } from './custom-layers';
import type { Interp } from './interpreter';
import type { ModuleCtx } from './module';
import { readPlainClass } from './plain-classes';
import type { Val } from './values';

type Runnable =
  | ts.FunctionDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction
  | ts.MethodDeclaration
  | ts.AccessorDeclaration;

function isRunnable(n: ts.Node): n is Runnable {
  return (
    (ts.isFunctionDeclaration(n) ||
      ts.isFunctionExpression(n) ||
      ts.isArrowFunction(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isGetAccessorDeclaration(n) ||
      ts.isSetAccessorDeclaration(n)) &&
    n.body !== undefined
  );
}

export function readUnreached(
  interp: Interp,
  mod: ModuleCtx,
  guard: (at: ts.Node, f: () => void) => void,
  onResult: (v: Val, fn: ts.Node) => void,
): void {
  const s = interp.session;
  const visit = (n: ts.Node): void => {
    if (ts.isClassLike(n)) {
      const closure = s.closures.get(n);
      const cls = closure
        ? { t: 'class' as const, decl: n, mod, closure }
        : { t: 'class' as const, decl: n, mod };
      if (analyzeClass(interp, cls)) return;
      guard(n, () => readPlainClass(interp, cls, onResult));
    } else if (isRunnable(n) && !s.executed.has(n) && !ts.isClassLike(n.parent)) {
      guard(n, () => {
        const env = s.closures.get(n) ?? mod.top;
        const v = interp.callFn(
          interp.fn(n, env),
          n.parameters.map(() => undefined),
          n,
          env,
        );
        onResult(v, n);
      });
    }
    ts.forEachChild(n, visit);
  };
  // Only statements that can hold a function or class are walked: a long run of plain layer code costs nothing.
  for (const st of mod.sf.statements) if (MAY_HOLD_CODE.test(mod.sf.text.slice(st.pos, st.end))) visit(st);
}

/** Arrows, `function`, classes, and methods or accessors (`name(...) {`, `name(): T {`); loose on purpose: a false match only costs a walk. */
const MAY_HOLD_CODE = /=>|\bfunction\b|\bclass\b|\)\s*[:{]/;

/** `Class.` for members of a class known by a name (its own or the one it is bound to). */
function ownerOf(cls: ts.ClassLikeDeclaration): string {
  const name = classNameOf(cls).name;
  return name === 'anonymous' ? '' : `${name}.`;
}

/**
 * The name a function's result is known by: its own name, the variable, property or export it is assigned to;
 * `Class.method` for class members. Undefined for anonymous callbacks. `decl` carries the JSDoc.
 */
export function functionName(fn: ts.Node): { name: string; node: ts.Node; decl: ts.Node } | undefined {
  const p = fn.parent;
  if (
    (ts.isFunctionDeclaration(fn) ||
      ts.isFunctionExpression(fn) ||
      ts.isMethodDeclaration(fn) ||
      ts.isAccessor(fn)) &&
    fn.name &&
    (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name))
  ) {
    const owner = ts.isClassLike(p) ? ownerOf(p) : '';
    return { name: owner + fn.name.text, node: fn.name, decl: fn };
  }
  if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) {
    if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) {
      const owner = ts.isPropertyDeclaration(p) && ts.isClassLike(p.parent) ? ownerOf(p.parent) : '';
      return {
        name: owner + p.name.text,
        node: p.name,
        decl: ts.isVariableDeclaration(p) ? p.parent.parent : p,
      };
    }
  }
  if (
    ts.isBinaryExpression(p) &&
    p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isPropertyAccessExpression(p.left)
  )
    return { name: p.left.name.text, node: p.left.name, decl: p.parent };
  return undefined;
}
