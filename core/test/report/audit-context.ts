/** The intent and provenance a hand-built report needs (schema v2), for tests that assemble reports from probes. */
import type { Provenance, ReportIntent, ReportIntentKind } from '../../src/report/schema';

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
