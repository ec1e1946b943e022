/** Text (ESLint "stylish"-like) and JSON output of lint results. */
import { relative } from 'node:path';
import type { AnalysisGap } from '../ir/analysis-gap';
import { plural } from '../report/plural';
import type { Finding, Severity } from '../rules';

export interface FileResult {
  /** Absolute path. */
  filePath: string;
  findings: Finding[];
  /** What the analysis gave up on in this file, if anything: said, so the file does not look clean. */
  notAnalysed?: AnalysisGap;
}

export type Counts = Record<Severity, number>;

export function countBySeverity(results: readonly FileResult[]): Counts {
  const counts: Counts = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const r of results) for (const f of r.findings) counts[f.severity]++;
  return counts;
}

/** One block per file with problems: `line:col  severity  message  rule-id`, then a summary line. */
export function formatText(results: readonly FileResult[], cwd: string): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.findings.length === 0 && r.notAnalysed === undefined) continue;
    lines.push(relative(cwd, r.filePath) || r.filePath);
    const rows = r.findings.map((f) => [
      `${f.range.start.line + 1}:${f.range.start.character + 1}`,
      f.severity,
      f.message,
      f.ruleId,
    ]);
    const gap = r.notAnalysed;
    if (gap) rows.push([`${gap.at.line + 1}:${gap.at.character + 1}`, 'info', gap.message, '(not analysed)']);
    const width = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
    // Long messages are not padded: aligning rule ids past 100 columns only makes lines wrap.
    if (width[2]! > 100) width[2] = 0;
    for (const [pos, sev, msg, id] of rows) {
      lines.push(
        `  ${pos!.padStart(width[0]!)}  ${sev!.padEnd(width[1]!)}  ${msg!.padEnd(width[2]!)}  ${id!}`,
      );
    }
    lines.push('');
  }
  const c = countBySeverity(results);
  const total = c.error + c.warning + c.info + c.hint;
  const partial = results.filter((r) => r.notAnalysed !== undefined).length;
  if (total === 0 && partial === 0) return '';
  const parts = [plural(c.error, 'error'), plural(c.warning, 'warning')];
  if (c.info > 0) parts.push(plural(c.info, 'info'));
  if (c.hint > 0) parts.push(plural(c.hint, 'hint'));
  const gaps = partial > 0 ? `; ${plural(partial, 'file')} not fully analysed` : '';
  lines.push(`\u2716 ${plural(total, 'problem')} (${parts.join(', ')})${gaps}`);
  return `${lines.join('\n')}\n`;
}

/** Findings as they are (zero-based ranges, as in LSP) plus 1-based line/column for people and scripts. */
export function formatJson(results: readonly FileResult[]): string {
  const out = results.map((r) => {
    const c = countBySeverity([r]);
    return {
      filePath: r.filePath,
      errorCount: c.error,
      warningCount: c.warning,
      infoCount: c.info,
      hintCount: c.hint,
      findings: r.findings.map((f) => ({
        ...f,
        line: f.range.start.line + 1,
        column: f.range.start.character + 1,
        endLine: f.range.end.line + 1,
        endColumn: f.range.end.character + 1,
      })),
      ...(r.notAnalysed
        ? {
            notAnalysed: {
              message: r.notAnalysed.message,
              line: r.notAnalysed.at.line + 1,
              column: r.notAnalysed.at.character + 1,
            },
          }
        : {}),
    };
  });
  return `${JSON.stringify(out, null, 2)}\n`;
}
