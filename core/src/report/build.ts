/** Assembles a Report from probe results; also the failed report when no probe could run. */
import type { FindingCode } from './finding-codes';
import { deriveFindings, type SourceMap } from './findings';
import { plural } from './plural';
import {
  REPORT_VERSION,
  type AuditSettings,
  type BackendInfo,
  type Figure,
  type ModelIdentity,
  type ProbeResult,
  type Provenance,
  type Report,
  type ReportIntent,
  type ReportLint,
  type ReportLintFinding,
  type ReportStaticBounds,
  type ReportError,
} from './schema';

/** The figures shown first (hovers, the summary): one or two per probe. */
const HEADLINE: Record<string, string[]> = {
  'forward-lipschitz': ['sigma-max', 'pair-max'],
  'inverse-lipschitz': ['inverse-lipschitz'],
  reconstruction: ['data-max', 'first-failing-scale'],
  attack: ['worst-error'],
  condition: ['condition', 'drift'],
  sampling: ['nonfinite-rate'],
  logdet: ['max-error'],
  'memory-backprop': ['gradient-error'],
};

export interface BuildReportInput {
  model: ModelIdentity;
  intent: ReportIntent;
  provenance: Provenance;
  /** The linter's findings about the model; absent when no source was analysed. */
  lint?: ReportLintFinding[];
  staticBounds?: ReportStaticBounds;
  backend?: BackendInfo;
  settings: AuditSettings;
  probes: ProbeResult[];
  startedAt: number;
  error?: ReportError;
  sources?: SourceMap;
}

export function buildReport(input: BuildReportInput): Report {
  const figures: Figure[] = [];
  for (const p of input.probes)
    for (const id of HEADLINE[p.id] ?? [])
      for (const f of p.figures.filter((x) => x.id === id)) figures.push({ ...f, id: `${p.id}.${f.id}` });
  const findings = deriveFindings(input.probes, input.sources ?? {}, input.intent.kind);
  if (input.error !== undefined) {
    const f = {
      code: 'audit-failed' satisfies FindingCode,
      severity: 'error' as const,
      probe: input.error.phase,
      message: input.error.message,
    };
    findings.unshift(input.model.range === undefined ? f : { ...f, range: input.model.range });
  }
  const ran = input.probes.filter((p) => p.status === 'ok' || p.status === 'skipped').length;
  const status =
    input.error !== undefined && ran === 0
      ? 'failed'
      : input.error !== undefined || ran < input.probes.length
        ? 'partial'
        : 'complete';
  const report: Report = {
    version: REPORT_VERSION,
    tool: 'lipschitz-lens',
    createdAt: new Date().toISOString(),
    status,
    model: input.model,
    intent: input.intent,
    provenance: input.provenance,
    settings: input.settings,
    durationMs: Date.now() - input.startedAt,
    figures,
    probes: input.probes,
    findings,
  };
  if (input.lint !== undefined) report.lint = lintSection(input.lint, report);
  if (input.staticBounds !== undefined) report.staticBounds = input.staticBounds;
  if (input.backend !== undefined) report.backend = input.backend;
  if (input.error !== undefined) report.error = input.error;
  return report;
}

/**
 * The lint findings with, when the measurements found no error but the linter did, what each side says: the
 * audit observed the model at these weights and points; an error-level finding says the code guarantees nothing
 * there (it may hold elsewhere, after training, or at other inputs). Neither cancels the other.
 */
function lintSection(findings: ReportLintFinding[], report: Report): ReportLint {
  const errors = findings.filter((f) => f.severity === 'error');
  const measuredError = report.findings.some((f) => f.severity === 'error');
  if (errors.length === 0 || measuredError || report.status === 'failed') return { findings };
  const rules = [...new Set(errors.map((f) => f.ruleId))].join(', ');
  const weights = {
    fresh: 'this fresh initialisation',
    checkpoint: 'these checkpoint weights',
    'module-loaded': 'the weights the module loads',
  }[report.provenance.weights.kind];
  return {
    findings,
    relation:
      `The measurements found no error, but the linter reports ${plural(errors.length, 'error-level finding')} (${rules}). ` +
      `The audit observes the model at ${weights} and ${plural(report.provenance.data.points, 'probe point')}; the lint errors say the code does not guarantee it: ` +
      'without the missing constraint or inverse the bound need not hold at other inputs or after training. Resolve the lint errors for a guarantee.',
  };
}
