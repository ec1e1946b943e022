/** Findings -> LSP diagnostics. Pure functions: the wiring in server.ts decides when to publish. */
import {
  type Diagnostic,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  Location,
  type Range,
} from 'vscode-languageserver';
import type { FileIr } from '../../core/src/ir/model-ir';
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
  const gap = own?.fileIr ? notAnalysed(own.fileIr) : undefined;
  if (gap) out.push(information(gap, notAnalysedAt(own!.fileIr!)));
  return out;
}

/** Where the first part the analysis gave up on starts, when it is in this file (else the file's start). */
function notAnalysedAt(ir: FileIr): Range {
  const first = ir.notes.find((n) => PARTIAL.test(n.message));
  if (!first || first.range.file !== ir.file) return FILE_START;
  return { start: first.range.start, end: first.range.start };
}

/**
 * One line saying what the analysis could not follow, when that cost it part of the file: a file the
 * extractor gave up on must not look clean. Ordinary uncertainty (an unknown loop bound) is not reported.
 */
export function notAnalysed(ir: FileIr): string | undefined {
  const lost = ir.notes.filter((n) => PARTIAL.test(n.message));
  if (lost.length === 0) return undefined;
  const first = lost[0]!;
  const more = lost.length > 1 ? ` (and ${lost.length - 1} more)` : '';
  return `Lipschitz Lens did not analyse all of this file: ${first.message.replace(/\.$/, '')} (line ${first.range.start.line + 1})${more}.`;
}

/** Notes that mean a part of the file was skipped, not merely read with unknowns. */
const PARTIAL =
  /^(Extraction failed|Skipped after an internal error|The file is too large|Nested (more than|too deeply))/;

export function isDiagnosticData(v: unknown): v is DiagnosticData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.ruleId === 'string' && typeof d.index === 'number' && typeof d.version === 'number';
}
