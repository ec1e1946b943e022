/** Findings -> LSP diagnostics. Pure functions: the wiring in server.ts decides when to publish. */
import { existsSync } from 'node:fs';
import {
  type Diagnostic,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  Location,
  type Range,
} from 'vscode-languageserver';
import { analysisGap } from '../../core/src/ir/analysis-gap';
import type { Finding, Severity } from '../../core/src/rules/rule';
import { ruleDocsPath, showRuleDocsUri } from '../../core/src/rules/rule-docs';
import { pathToUri } from './documents';
import type { FileAnalysis } from './engine';

export const SOURCE = 'lipschitz-lens';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Stored in `Diagnostic.data` so a code action can find its finding again without re-linting. */
export interface DiagnosticData {
  ruleId: string;
  /** Index into the findings published for the file in that generation. */
  index: number;
  /** The publication the diagnostic belongs to (see `PublishedFindings`). */
  version: number;
}

/** A rule's page as a link the client can open, or undefined when there is none (then no link is sent). */
export type RuleDocsLink = (ruleId: string) => string | undefined;

/**
 * VS Code's client runs SHOW_RULE_DOCS (a markdown preview of the shipped page); other clients get the page's
 * `file:` URI when it is on disk next to the server, else nothing: the project has no public page to link.
 */
export function ruleDocsLink(docsRoot: string | undefined, clientShowsRuleDocs: boolean): RuleDocsLink {
  if (clientShowsRuleDocs) return showRuleDocsUri;
  return (ruleId) => {
    if (docsRoot === undefined) return undefined;
    const page = ruleDocsPath(docsRoot, ruleId);
    return existsSync(page) ? pathToUri(page) : undefined;
  };
}

export function toDiagnostic(
  finding: Finding,
  index: number,
  version: number,
  docsLink: RuleDocsLink,
): Diagnostic {
  const data: DiagnosticData = { ruleId: finding.ruleId, index, version };
  const href = docsLink(finding.ruleId);
  return {
    range: { start: finding.range.start, end: finding.range.end },
    severity: SEVERITY[finding.severity] ?? DiagnosticSeverity.Warning,
    code: finding.ruleId,
    ...(href !== undefined ? { codeDescription: { href } } : {}),
    source: SOURCE,
    message: finding.message,
    relatedInformation: finding.related.map((r) =>
      DiagnosticRelatedInformation.create(
        Location.create(pathToUri(r.range.file), { start: r.range.start, end: r.range.end }),
        r.message,
      ),
    ),
    data,
  };
}

const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * The findings shown for one file: its own analysis' and those other files' analyses placed in it (a layer
 * written here and used there), merged; `generation` numbers each publication, so a code action can tell
 * whether a diagnostic still matches the list it indexes into.
 */
export interface PublishedFindings {
  generation: number;
  findings: Finding[];
}

function information(message: string, range: Range = FILE_START): Diagnostic {
  return { range, severity: DiagnosticSeverity.Information, source: SOURCE, message };
}

export function toDiagnostics(
  published: PublishedFindings,
  own: FileAnalysis | undefined,
  docsLink: RuleDocsLink,
): Diagnostic[] {
  if (own?.skipped !== undefined) return [information(own.skipped)];
  const out = published.findings.map((f, i) => toDiagnostic(f, i, published.generation, docsLink));
  const gap = own?.fileIr ? analysisGap(own.fileIr) : undefined;
  if (gap) out.push(information(gap.message, { start: gap.at, end: gap.at }));
  return out;
}

export function isDiagnosticData(v: unknown): v is DiagnosticData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.ruleId === 'string' && typeof d.index === 'number' && typeof d.version === 'number';
}
