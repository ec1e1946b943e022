/** The intent and provenance a hand-built report needs (schema v2), for tests that assemble reports from probes. */
import type { ProbeResult, Provenance, ReportIntent, ReportIntentKind } from '../../src/report/schema';

export function testAudit(kind: ReportIntentKind = 'invertible'): {
  intent: ReportIntent;
  provenance: Provenance;
} {
  return {
    intent: { kind, signals: ['a test fixture'], decidedBy: 'code' },
    provenance: {
      weights: { kind: 'fresh', module: 'test.ts' },
      data: { kind: 'normal', points: 4, scale: 1 },
      seed: 0,
    },
  };
}

/** A probe result holding the given figures, for tests that derive findings from hand-set measurements. */
export function probeResult(
  id: string,
  figures: ProbeResult['figures'],
  extra: Partial<ProbeResult> = {},
): ProbeResult {
  return {
    id,
    title: id,
    status: 'ok',
    durationMs: 1,
    passes: { forward: 1, inverse: 0, backward: 0 },
    figures,
    tables: [],
    curves: [],
    notes: [],
    ...extra,
  };
}
