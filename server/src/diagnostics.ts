/** Findings -> LSP diagnostics. Pure functions: the wiring in server.ts decides when to publish. */
import {
  type Diagnostic,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  Location,
  type Range,
} from 'vscode-languageserver';
import { analysisGap } from '../../core/src/ir/analysis-gap';
import type { Finding, Severity } from '../../core/src/rules/rule';
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

export function toDiagnostic(
  finding: Finding,
  index: number,
  version: number,
  docsUrl: (ruleId: string) => string,
): Diagnostic {
  const data: DiagnosticData = { ruleId: finding.ruleId, index, version };
  return {
    range: { start: finding.range.start, end: finding.range.end },
    severity: SEVERITY[finding.severity] ?? DiagnosticSeverity.Warning,
    code: finding.ruleId,
    codeDescription: { href: docsUrl(finding.ruleId) },
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
  docsUrl: (ruleId: string) => string,
): Diagnostic[] {
  if (own?.skipped !== undefined) return [information(own.skipped)];
  const out = published.findings.map((f, i) => toDiagnostic(f, i, published.generation, docsUrl));
  const gap = own?.fileIr ? analysisGap(own.fileIr) : undefined;
  if (gap) out.push(information(gap.message, { start: gap.at, end: gap.at }));
  return out;
}

export function isDiagnosticData(v: unknown): v is DiagnosticData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.ruleId === 'string' && typeof d.index === 'number' && typeof d.version === 'number';
}
