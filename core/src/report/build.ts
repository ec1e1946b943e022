/** Assembles a Report from probe results; also the failed report when no probe could run. */
import { deriveFindings, type SourceMap } from './findings';
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
      code: 'audit-failed',
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
  if (input.backend !== undefined) report.backend = input.backend;
  if (input.error !== undefined) report.error = input.error;
  return report;
}
