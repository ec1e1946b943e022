/**
 * Which function of a hand-written transform (a class or an object literal) is its inverse: `inverse`, or
 * `backward`/`reverse` as hand-written flows name it. A `backward` whose first parameter is named like a gradient
 * (`dy`, `dOut`, `grad`, `delta`) is backpropagation written by hand, not an inverse.
 */
import { ts } from 'ts-morph';

export const INVERSE_NAMES = ['inverse', 'backward', 'reverse'];

const GRADIENT_PARAM = /^(d[A-Z_]|d(y|x|z|h|out|output|loss)$|grad|delta|upstream|err)/;

export function isInverse(name: string, fn: ts.SignatureDeclaration): boolean {
  if (!INVERSE_NAMES.includes(name)) return false;
  if (name !== 'backward') return true;
  const p = fn.parameters[0];
  return !(p && ts.isIdentifier(p.name) && GRADIENT_PARAM.test(p.name.text));
}
