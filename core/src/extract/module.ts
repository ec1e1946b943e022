/** One parsed file with its imports and top-level declarations, shared by every evaluation in that file. */
import { dirname, resolve } from 'node:path';
import { ts } from 'ts-morph';
import type { SourceRange } from '../ir/model-ir';
import { collectImports, packageOrigin, type ImportBinding } from './imports';
import { Env, type Val } from './values';

/** Loads another file's module by absolute path (undefined when it does not exist or cannot be read). */
export type ModuleLoader = (absPath: string) => ModuleCtx | undefined;

export class ModuleCtx {
  readonly imports: Map<string, ImportBinding>;
  /** Top-level declarations by local name. */
  readonly decls = new Map<string, ts.Node>();
  /** Export name -> local name. */
  readonly exports = new Map<string, string>();
  /** Top-level values, filled in order for the main file and lazily for imported ones. */
  readonly top: Env;
  /** Names whose lazy evaluation is running, to stop cycles. */
  readonly evaluating = new Set<string>();

  constructor(
    readonly file: string,
    readonly sf: ts.SourceFile,
    readonly load: ModuleLoader,
  ) {
    this.imports = collectImports(sf);
    this.top = new Env(this);
    for (const st of sf.statements) this.indexStatement(st);
  }

  private indexStatement(st: ts.Statement): void {
    const exported = ts.canHaveModifiers(st) && hasModifier(st, ts.SyntaxKind.ExportKeyword);
    const isDefault = ts.canHaveModifiers(st) && hasModifier(st, ts.SyntaxKind.DefaultKeyword);
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) {
      this.decls.set(st.name.text, st);
      if (exported) this.exports.set(isDefault ? 'default' : st.name.text, st.name.text);
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) continue;
        this.decls.set(d.name.text, d);
        if (exported) this.exports.set(d.name.text, d.name.text);
      }
    } else if (
      ts.isExportDeclaration(st) &&
      !st.moduleSpecifier &&
      st.exportClause &&
      ts.isNamedExports(st.exportClause)
    ) {
      for (const el of st.exportClause.elements)
        this.exports.set(el.name.text, (el.propertyName ?? el.name).text);
    } else if (ts.isExportAssignment(st) && ts.isIdentifier(st.expression)) {
      this.exports.set('default', st.expression.text);
    }
  }

  /** The absolute path a relative specifier points to, trying the usual extensions. */
  resolveSpecifier(specifier: string): string[] {
    const base = resolve(dirname(this.file), specifier);
    const stripped = base.replace(/\.(js|mjs|cjs)$/, '');
    const exts = ['.ts', '.tsx', '.js', '.mjs', '.cjs'];
    return [base, ...exts.map((e) => stripped + e), ...exts.map((e) => `${stripped}/index${e}`)];
  }

  importModule(specifier: string): ModuleCtx | undefined {
    for (const p of this.resolveSpecifier(specifier)) {
      if (p === this.file) continue;
      const m = this.load(p);
      if (m) return m;
    }
    return undefined;
  }

  /** What `require(specifier)` evaluates to. */
  importsFor(specifier: string): Val | undefined {
    const origin = packageOrigin(specifier);
    if (origin) return { t: 'ns', origin, path: '' };
    const m = specifier.startsWith('.') ? this.importModule(specifier) : undefined;
    return m ? { t: 'module', mod: m } : undefined;
  }

  range(node: ts.Node): SourceRange {
    return rangeOf(this.sf, this.file, node);
  }

  text(node: ts.Node): string {
    const t = node.getText(this.sf);
    return t.length > 80 ? `${t.slice(0, 77)}...` : t;
  }
}

export function rangeOf(sf: ts.SourceFile, file: string, node: ts.Node): SourceRange {
  const s = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  const e = sf.getLineAndCharacterOfPosition(node.getEnd());
  return {
    file,
    start: { line: s.line, character: s.character },
    end: { line: e.line, character: e.character },
  };
}

export function hasModifier(node: ts.HasModifiers, kind: ts.SyntaxKind): boolean {
  return ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false;
}
