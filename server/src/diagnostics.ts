/** Findings -> LSP diagnostics. Pure functions: the wiring in server.ts decides when to publish. */
import {
  type Diagnostic,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  Location,
  type Range,
} from 'vscode-languageserver';
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
  /** Index into the analysis' findings for the version the diagnostic was made from. */
  index: number;
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

export function toDiagnostics(analysis: FileAnalysis, docsUrl: (ruleId: string) => string): Diagnostic[] {
  if (analysis.skipped !== undefined) {
    return [
      {
        range: FILE_START,
        severity: DiagnosticSeverity.Information,
        source: SOURCE,
        message: analysis.skipped,
      },
    ];
  }
  return analysis.findings.map((f, i) => toDiagnostic(f, i, analysis.version, docsUrl));
}

export function isDiagnosticData(v: unknown): v is DiagnosticData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.ruleId === 'string' && typeof d.index === 'number' && typeof d.version === 'number';
}
