/**
 * Code actions from the rules' fix data: one quick fix per fix or suggestion (the disable comment is among the
 * suggestions), "fix all X in file" per rule, and `source.fixAll.lipschitzLens` for everything safe.
 */
import {
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type Diagnostic,
  type TextEdit,
} from 'vscode-languageserver';
import { ADD_LIBRARY_COMMAND, type AddLibraryArgs } from '../../core/src/protocol/lsp';
import type { FixData, Finding } from '../../core/src/rules/rule';
import { isDiagnosticData, type PublishedFindings } from './diagnostics';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.lipschitzLens`;

function cmp(a: TextEdit['range']['start'], b: TextEdit['range']['start']): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * Joins the edits of several fixes into one non-overlapping list: identical edits (the same import added by
 * two fixes) collapse, and an edit overlapping an earlier one is dropped; running fix-all again picks it up.
 */
export function mergeEdits(fixes: readonly FixData[]): TextEdit[] {
  const seen = new Set<string>();
  const out: TextEdit[] = [];
  for (const fix of fixes) {
    const edits = fix.edits.map((e) => ({ range: e.range, newText: e.newText }));
    const fresh = edits.filter((e) => !seen.has(JSON.stringify(e)));
    const overlaps = fresh.some((e) =>
      out.some((o) => cmp(e.range.start, o.range.end) < 0 && cmp(o.range.start, e.range.end) < 0),
    );
    // A fix applies whole or not at all: half a fix (an import without its use) would be worse than none.
    if (overlaps) continue;
    for (const e of fresh) {
      seen.add(JSON.stringify(e));
      out.push(e);
    }
  }
  return out.sort((a, b) => cmp(a.range.start, b.range.start));
}

function action(
  title: string,
  kind: string,
  uri: string,
  edits: TextEdit[],
  diagnostics?: Diagnostic[],
  preferred?: boolean,
): CodeAction {
  const a: CodeAction = { title, kind, edit: { changes: { [uri]: edits } } };
  if (diagnostics) a.diagnostics = diagnostics;
  if (preferred) a.isPreferred = true;
  return a;
}

/** What the client can do about a fix whose import does not resolve, and the document it edits. */
export interface FixContext {
  /** The client runs ADD_LIBRARY_COMMAND (VS Code's does). */
  installsLibrary: boolean;
  /** The version of the document the published findings were made from, when it is open. */
  version?: number;
}

function unresolved(fixes: readonly FixData[]): string[] {
  return [...new Set(fixes.flatMap((f) => f.unresolved ?? []))];
}

/**
 * A fix as an action. Where its import does not resolve the plain edit would not compile, so a client that can
 * add the package gets a command that adds it first; others get the edit with the title saying what it needs.
 */
function fixAction(
  title: string,
  uri: string,
  fixes: readonly FixData[],
  ctx: FixContext,
  diagnostics?: Diagnostic[],
  preferred?: boolean,
): CodeAction {
  const edits = mergeEdits(fixes);
  const missing = unresolved(fixes);
  if (missing.length === 0) return action(title, CodeActionKind.QuickFix, uri, edits, diagnostics, preferred);
  const names = missing.join(', ');
  if (!ctx.installsLibrary) {
    return action(`${title} (needs ${names} installed)`, CodeActionKind.QuickFix, uri, edits, diagnostics);
  }
  const args: AddLibraryArgs = { uri, edits, packages: missing };
  if (ctx.version !== undefined) args.version = ctx.version;
  const full = `${title} (adds ${names} to this project)`;
  const a: CodeAction = {
    title: full,
    kind: CodeActionKind.QuickFix,
    command: { title: full, command: ADD_LIBRARY_COMMAND, arguments: [args] },
  };
  if (diagnostics) a.diagnostics = diagnostics;
  if (preferred) a.isPreferred = true;
  return a;
}

function wants(only: string[] | undefined, kind: string): boolean {
  return !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

/** The finding a diagnostic came from, when the published list is still the one it was made from. */
function findingOf(diag: Diagnostic, published: PublishedFindings): Finding | undefined {
  if (diag.source !== 'lipschitz-lens' || !isDiagnosticData(diag.data)) return undefined;
  if (diag.data.version !== published.generation) return undefined;
  const f = published.findings[diag.data.index];
  return f && f.ruleId === diag.data.ruleId ? f : undefined;
}

/**
 * Quick fixes for the findings shown in a file, its own and those other files placed there: every finding's
 * edits apply to the file it is shown in.
 */
export function codeActions(
  params: CodeActionParams,
  published: PublishedFindings | undefined,
  ctx: FixContext = { installsLibrary: false },
): CodeAction[] {
  if (!published) return [];
  const uri = params.textDocument.uri;
  const only = params.context.only;
  const out: CodeAction[] = [];

  if (wants(only, CodeActionKind.QuickFix)) {
    const rulesHere = new Set<string>();
    for (const diag of params.context.diagnostics) {
      const finding = findingOf(diag, published);
      if (!finding) continue;
      rulesHere.add(finding.ruleId);
      if (finding.fix) out.push(fixAction(finding.fix.title, uri, [finding.fix], ctx, [diag], true));
      for (const s of finding.suggestions) out.push(fixAction(s.title, uri, [s], ctx, [diag]));
    }
    for (const ruleId of rulesHere) {
      const fixes = published.findings.filter((f) => f.ruleId === ruleId && f.fix).map((f) => f.fix!);
      if (fixes.length > 1) {
        out.push(fixAction(`Fix all ${ruleId} problems in file`, uri, fixes, ctx));
      }
    }
  }

  // Only on explicit request: fix-all is offered on save or from the Source Action menu, not on every lightbulb.
  // Fixes whose import does not resolve are left out: saving must not install packages or break the build.
  if (only && wants(only, FIX_ALL_KIND)) {
    const fixes = published.findings.filter((f) => f.fix && !f.fix.unresolved?.length).map((f) => f.fix!);
    if (fixes.length > 0)
      out.push(action('Fix all Lipschitz Lens problems', FIX_ALL_KIND, uri, mergeEdits(fixes)));
  }
  return out;
}
