/**
 * The name a class or object literal is known by. A class declaration has its own; a class expression takes the
 * name it is bound to (`const X = class extends tf.layers.Layer {...}`, `X = class ...`, `exports.X = class`,
 * `{ X: class ... }`), else its `static className = 'X'`; an object literal takes the variable or property it
 * is assigned to, else the function that returns it (`function makeCoupling() { return {...}; }`).
 */
import { ts } from 'ts-morph';

export interface NameAt {
  name: string;
  /** The identifier (or string literal) that carries the name, for ranges; the node itself when none does. */
  node: ts.Node;
}

/** The expression's place in the code, seen through parentheses and type assertions. */
function outerOf(node: ts.Node): ts.Node {
  let n = node;
  while (
    ts.isParenthesizedExpression(n.parent) ||
    ts.isAsExpression(n.parent) ||
    ts.isSatisfiesExpression(n.parent) ||
    ts.isTypeAssertionExpression(n.parent) ||
    ts.isNonNullExpression(n.parent)
  )
    n = n.parent;
  return n;
}

/** The name given by what `node` is bound or assigned to, if anything names it. */
export function boundName(node: ts.Node): NameAt | undefined {
  const n = outerOf(node);
  const p = n.parent;
  if (!p) return undefined;
  if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isIdentifier(p.name))
    return { name: p.name.text, node: p.name };
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.initializer === n) {
    if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isPrivateIdentifier(p.name))
      return { name: p.name.text, node: p.name };
    return undefined;
  }
  if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === n) {
    const left = p.left;
    if (ts.isIdentifier(left)) return { name: left.text, node: left };
    // `module.exports = class ...` names nothing; `exports.X = ...`, `this.X = ...` name X.
    if (ts.isPropertyAccessExpression(left) && !/^(module\.)?exports$/.test(left.getText()))
      return { name: left.name.text, node: left.name };
    return undefined;
  }
  if (ts.isExportAssignment(p)) return { name: 'default', node: p };
  return undefined;
}

/** `static className = 'X'` (tfjs serialization's name), when written as a string. */
function staticClassName(decl: ts.ClassLikeDeclaration): NameAt | undefined {
  for (const m of decl.members) {
    if (!ts.isPropertyDeclaration(m) || !ts.isIdentifier(m.name) || m.name.text !== 'className') continue;
    const isStatic = ts.getModifiers(m)?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword) ?? false;
    const init = m.initializer;
    if (isStatic && init && (ts.isStringLiteral(init) || ts.isNoSubstitutionTemplateLiteral(init)))
      return { name: init.text, node: init };
  }
  return undefined;
}

/** A class's name: its own, the name it is bound to, or its serialization name; `anonymous` otherwise. */
export function classNameOf(decl: ts.ClassLikeDeclaration): NameAt {
  if (decl.name) return { name: decl.name.text, node: decl.name };
  return boundName(decl) ?? staticClassName(decl) ?? { name: 'anonymous', node: decl };
}
