/**
 * Which local names mean tfjs or this project's package, read from import declarations (syntax only). `require()`
 * and aliases such as `const L = tf.layers` are handled by the interpreter, which evaluates them to namespaces.
 */
import { ts } from 'ts-morph';
import type { NsOrigin } from './values';

export type ImportBinding =
  /** `path` is '' for the namespace itself (`import * as tf`), else the imported name (`layers`, `Flow`). */
  | { kind: 'ns'; origin: NsOrigin; path: string }
  /** A relative import; `exportName` is '*' for `import * as m`, 'default' for a default import. */
  | { kind: 'relative'; specifier: string; exportName: string };

const TFJS_MODULES = new Set([
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-core',
]);

/** The package that `specifier` names, or undefined for other packages and the user's own files. */
export function packageOrigin(specifier: string): NsOrigin | undefined {
  if (TFJS_MODULES.has(specifier)) return 'tfjs';
  if (specifier === 'lipschitz-lens' || specifier.startsWith('lipschitz-lens/')) return 'lens';
  // A relative path into this repository's layers, as the project's own tests and examples may write it.
  if (specifier.startsWith('.') && /(^|\/)(core\/)?src\/layers(\/|$)/.test(specifier)) return 'lens';
  return undefined;
}

export function collectImports(sf: ts.SourceFile): Map<string, ImportBinding> {
  const out = new Map<string, ImportBinding>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.importClause) {
      addClause(out, st.moduleSpecifier.text, st.importClause);
    } else if (
      ts.isImportEqualsDeclaration(st) &&
      ts.isExternalModuleReference(st.moduleReference) &&
      ts.isStringLiteral(st.moduleReference.expression)
    ) {
      const b = binding(st.moduleReference.expression.text, '*');
      if (b) out.set(st.name.text, b);
    }
  }
  return out;
}

function addClause(out: Map<string, ImportBinding>, specifier: string, clause: ts.ImportClause): void {
  if (clause.name) {
    const b = binding(specifier, 'default');
    if (b) out.set(clause.name.text, b);
  }
  const nb = clause.namedBindings;
  if (!nb) return;
  if (ts.isNamespaceImport(nb)) {
    const b = binding(specifier, '*');
    if (b) out.set(nb.name.text, b);
    return;
  }
  for (const el of nb.elements) {
    const b = binding(specifier, (el.propertyName ?? el.name).text);
    if (b) out.set(el.name.text, b);
  }
}

function binding(specifier: string, name: string): ImportBinding | undefined {
  const origin = packageOrigin(specifier);
  // A default import of tfjs acts as the namespace under esModuleInterop.
  if (origin) return { kind: 'ns', origin, path: name === '*' || name === 'default' ? '' : name };
  if (specifier.startsWith('.')) return { kind: 'relative', specifier, exportName: name };
  return undefined;
}
