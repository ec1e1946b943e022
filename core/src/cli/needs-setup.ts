/**
 * The CLI's words for an audit that could not start for want of configuration (the report's
 * `error.configuration`): what is missing and how to give it. Never "audit failed": the model was not audited. The
 * editor says the same with its quick fix in place of the flags (server/src/audit.ts, configurationProblem).
 */
import { relative } from 'node:path';
import type { AuditTarget } from '../extract';
import { NEEDS_SETUP_TEXT } from '../protocol/lsp';
import type { Report } from '../report/schema';

/** The summary of an audit that needs setup, or undefined when the audit was not stopped by a missing setting. */
export function needsSetupText(
  report: Report,
  target: AuditTarget | undefined,
  cwd: string,
): string | undefined {
  const error = report.error;
  const kind = error?.configuration;
  if (error === undefined || kind === undefined) return undefined;
  // A tag that is there but not a shape (the quick fix's placeholder left as written): say what to put in it.
  const message =
    kind === 'input-shape' && target?.model.inputShapeError !== undefined
      ? `The input shape of ${target.model.name} is unknown: ${target.model.inputShapeError}.`
      : error.message;
  const above =
    target === undefined
      ? ''
      : ` above ${relative(cwd, target.range.file) || target.range.file}:${target.range.start.line + 1}`;
  const lines = [
    `${report.model.name}: needs setup (${NEEDS_SETUP_TEXT[kind]}); the model was not audited`,
    `  ${message}`,
  ];
  // The export message already names --export and the exports to choose from.
  if (kind === 'input-shape')
    lines.push(
      `  ${target?.model.inputShapeError !== undefined ? 'Fix' : 'Add'} the tag${above}, or pass --input-shape with one input's shape without the batch axis (e.g. --input-shape 28,28,1).`,
    );
  if (kind === 'factory-args')
    lines.push(
      `  Add the tag${above}, or pass the factory's arguments as a JSON array (e.g. --args '[16]').`,
    );
  return lines.join('\n');
}
