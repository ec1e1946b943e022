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
  /** Every local name an import declaration binds, whatever the package (`import tf from 'other'`). */
  readonly allImported = new Set<string>();
  /** Top-level declarations by local name. */
  readonly decls = new Map<string, ts.Node>();
  /** Export name -> local name (a key of `decls`). */
  readonly exports = new Map<string, string>();
  /** `export { a as b } from './x'`: export name -> the module and the name there ('*' for `export * as b`). */
  readonly reexports = new Map<string, { specifier: string; name: string }>();
  /** `export * from './x'`, in order. */
  readonly starExports: string[] = [];
  /** The file assigns `module.exports` or `exports.x`: a CommonJS module. */
  commonJs = false;
  /** `module.exports = value` (not an object literal): `require()` of this file is that value, its default. */
  exportsValue = false;
  /**
   * CommonJS export statements whose value has no local name (`exports.build = function () {...}`), with the
   * `decls` key each value was given, so the top level evaluates each once, as that declaration.
   */
  readonly exportStatements = new Map<ts.Statement, { key: string; exportName: string }[]>();
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
    for (const st of sf.statements) if (ts.isImportDeclaration(st)) importedNames(st, this.allImported);
    this.top = new Env(this);
    for (const st of sf.statements) this.indexStatement(st);
  }

  private indexStatement(st: ts.Statement): void {
    const exported = ts.canHaveModifiers(st) && hasModifier(st, ts.SyntaxKind.ExportKeyword);
    const isDefault = ts.canHaveModifiers(st) && hasModifier(st, ts.SyntaxKind.DefaultKeyword);
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) {
      this.decls.set(st.name.text, st);
      if (exported) this.exports.set(isDefault ? 'default' : st.name.text, st.name.text);
    } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && exported && isDefault) {
      // `export default function () {...}`
      this.decls.set('default', st);
      this.exports.set('default', 'default');
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
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const specifier = st.moduleSpecifier.text;
      const clause = st.exportClause;
      if (!clause) this.starExports.push(specifier);
      else if (ts.isNamespaceExport(clause)) this.reexports.set(clause.name.text, { specifier, name: '*' });
      else
        for (const el of clause.elements)
          this.reexports.set(el.name.text, { specifier, name: (el.propertyName ?? el.name).text });
    } else if (ts.isExportAssignment(st)) {
      if (ts.isIdentifier(st.expression)) this.exports.set('default', st.expression.text);
      else if (!this.decls.has('default')) {
        this.decls.set('default', st.expression);
        this.exports.set('default', 'default');
      }
    } else if (ts.isExpressionStatement(st)) this.indexCommonJs(st);
  }

  /** `module.exports = x`, `module.exports = { a, b: f }`, `exports.a = ...`, `module.exports.a = ...`. */
  private indexCommonJs(st: ts.ExpressionStatement): void {
    const e = st.expression;
    if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return;
    const target = e.left.getText(this.sf).replace(/\s+/g, '');
    const named = /^(?:module\.)?exports\.([A-Za-z_$][\w$]*)$/.exec(target)?.[1];
    if (target === 'module.exports') {
      this.commonJs = true;
      const value = e.right;
      if (ts.isObjectLiteralExpression(value)) {
        for (const p of value.properties) {
          if (ts.isShorthandPropertyAssignment(p)) this.exports.set(p.name.text, p.name.text);
          else if (
            (ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p)) &&
            (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
          ) {
            const init = ts.isPropertyAssignment(p) ? p.initializer : undefined;
            if (init && ts.isIdentifier(init)) this.exports.set(p.name.text, init.text);
            else this.exportValue(st, p.name.text, init ?? p);
          }
        }
      } else {
        this.exportsValue = true;
        if (ts.isIdentifier(value)) this.exports.set('default', value.text);
        else this.exportValue(st, 'default', value);
      }
    } else if (named) {
      this.commonJs = true;
      if (ts.isIdentifier(e.right)) this.exports.set(named, e.right.text);
      else this.exportValue(st, named, e.right);
    }
  }

  /**
   * An exported value with no local name, declared as `exports.<name>` (never a local's name) and evaluated once.
   */
  private exportValue(st: ts.Statement, exportName: string, value: ts.Node): void {
    const key = exportName === 'default' ? 'default' : `exports.${exportName}`;
    this.decls.set(key, value);
    this.exports.set(exportName, key);
    const list = this.exportStatements.get(st) ?? [];
    list.push({ key, exportName });
    this.exportStatements.set(st, list);
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

function importedNames(st: ts.ImportDeclaration, out: Set<string>): void {
  const clause = st.importClause;
  if (!clause) return;
  if (clause.name) out.add(clause.name.text);
  const nb = clause.namedBindings;
  if (nb && ts.isNamespaceImport(nb)) out.add(nb.name.text);
  else if (nb) for (const el of nb.elements) out.add(el.name.text);
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

/** `declare const x: T;`: a declaration of something that exists elsewhere (a script-tag global). */
export function isAmbient(decl: ts.VariableDeclaration): boolean {
  const st = decl.parent.parent;
  return ts.isVariableStatement(st) && hasModifier(st, ts.SyntaxKind.DeclareKeyword);
}

export function hasModifier(node: ts.HasModifiers, kind: ts.SyntaxKind): boolean {
  return ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false;
}
