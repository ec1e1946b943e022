/**
 * Every finding code: documented (docs/audit-findings.md is the table generated from FINDING_CODES), raised with
 * its documented severity just past its threshold, and not raised just short of it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildReport } from '../../src/report/build';
import {
  FINDING_CODES,
  FINDINGS_PAGE,
  LIMITS,
  withFindingTable,
  type FindingCode,
} from '../../src/report/finding-codes';
import { NO_INVERSE_MESSAGE } from '../../src/report/findings';
import { fixedPointTable, type FixedPointSummary } from '../../src/report/fixed-point';
import {
  figure,
  type Figure,
  type ProbeResult,
  type ReportIntentKind,
  type Table,
} from '../../src/report/schema';
import { probeResult as probe, testAudit } from './audit-context';

function reconstruction(
  dataMax: number,
  inRangeMax: number,
  sweep: Array<[string, number, number]> = [],
): ProbeResult {
  const table: Table = {
    id: 'sweep',
    title: 'Sweep',
    columns: ['input', 'scale', 'median_error', 'max_error', 'nan_rows'],
    rows: sweep.map(([kind, scale, max]) => [kind, scale, 0, Number.isFinite(max) ? max : null, 0]),
  };
  const failing = sweep.filter(([, , e]) => !(e <= LIMITS.reconstruction)).map(([, s]) => s);
  const first: Figure =
    failing.length > 0
      ? figure('first-failing-scale', 'first', Math.min(...failing))
      : { id: 'first-failing-scale', label: 'first', value: null };
  return probe(
    'reconstruction',
    [
      figure('data-max', 'data', dataMax),
      figure('in-range-max', 'in range', inRangeMax),
      figure('threshold', 'threshold', LIMITS.reconstruction),
      first,
    ],
    { tables: [table] },
  );
}

function fixedPoint(atData: number): ProbeResult {
  const summary: FixedPointSummary = {
    layer: 'res_1',
    block: 'res_1',
    calls: 10,
    notConverged: 2,
    notConvergedAtData: atData,
    residual: 1e-2,
    tolerance: 1e-5,
    ratio: 1e3,
    iterations: 50,
    cap: 50,
    contraction: 0.99,
    failingInputs: atData > 0 ? ['data'] : ['uniform x8'],
  };
  return probe('reconstruction', [], { tables: [fixedPointTable([summary])] });
}

interface Case {
  /** Probe results (and intent, or an audit error) that raise the code... */
  raises: () => Input;
  /** ...and ones just short of its threshold that do not. */
  quiet: () => Input;
  /** For codes with two thresholds: the severity of `raises`. */
  severity?: 'error' | 'warning';
}

interface Input {
  probes: ProbeResult[];
  intent?: ReportIntentKind;
  error?: boolean;
}

const above = (limit: number): number => 2 * limit;
const below = (limit: number): number => limit / 2;
const one = (p: ProbeResult): Input => ({ probes: [p] });

const CASES: Record<FindingCode, Case[]> = {
  'audit-failed': [{ raises: () => ({ probes: [], error: true }), quiet: () => ({ probes: [] }) }],
  'missing-inverse': [
    {
      raises: () => ({
        probes: [probe('reconstruction', [], { status: 'skipped', message: NO_INVERSE_MESSAGE })],
        intent: 'invertible',
      }),
      // An ordinary model is not faulted for having no inverse.
      quiet: () => ({
        probes: [probe('reconstruction', [], { status: 'skipped', message: NO_INVERSE_MESSAGE })],
        intent: 'ordinary',
      }),
    },
  ],
  'probe-failed': [
    {
      raises: () => one(probe('condition', [], { status: 'error', message: 'kernel missing' })),
      quiet: () => one(probe('condition', [])),
    },
  ],
  'non-invertible': [
    {
      raises: () => one(reconstruction(above(LIMITS.reconstruction), 0)),
      quiet: () => one(reconstruction(below(LIMITS.reconstruction), 0)),
    },
    { raises: () => one(reconstruction(NaN, 0)), quiet: () => one(reconstruction(1e-7, 0)) },
  ],
  'non-invertible-in-range': [
    {
      raises: () => one(reconstruction(1e-7, Infinity)),
      quiet: () => one(reconstruction(1e-7, below(LIMITS.reconstruction))),
    },
    {
      raises: () => one(reconstruction(1e-7, above(LIMITS.reconstruction))),
      quiet: () => one(reconstruction(1e-7, 1e-7)),
    },
  ],
  'non-invertible-ood': [
    {
      raises: () =>
        one(
          reconstruction(1e-7, 1e-7, [
            ['data', 1, 1e-7],
            ['data', 2, NaN],
            ['uniform', 1, 1e-7],
            ['uniform', 4, above(LIMITS.reconstruction)],
          ]),
        ),
      quiet: () =>
        one(
          reconstruction(1e-7, 1e-7, [
            ['data', 2, below(LIMITS.reconstruction)],
            ['uniform', 4, below(LIMITS.reconstruction)],
          ]),
        ),
    },
  ],
  'inverse-not-converged': [
    { raises: () => one(fixedPoint(1)), quiet: () => one(probe('reconstruction', [])) },
  ],
  'inverse-not-converged-ood': [
    { raises: () => one(fixedPoint(0)), quiet: () => one(probe('reconstruction', [])) },
  ],
  'exploding-inverse': [
    {
      severity: 'error',
      raises: () =>
        one(probe('inverse-lipschitz', [figure('inverse-lipschitz', 'l', above(LIMITS.inverseError))])),
      quiet: () =>
        one(probe('inverse-lipschitz', [figure('inverse-lipschitz', 'l', below(LIMITS.inverseWarning))])),
    },
    {
      severity: 'warning',
      raises: () =>
        one(probe('inverse-lipschitz', [figure('inverse-lipschitz', 'l', above(LIMITS.inverseWarning))])),
      quiet: () => one(probe('inverse-lipschitz', [figure('inverse-lipschitz', 'l', 1)])),
    },
  ],
  'nan-output': [
    {
      raises: () => one(probe('forward-lipschitz', [figure('sigma-max', 's', NaN)])),
      quiet: () => one(probe('forward-lipschitz', [figure('sigma-max', 's', 1)])),
    },
  ],
  'large-lipschitz': [
    {
      raises: () => one(probe('forward-lipschitz', [figure('sigma-max', 's', above(LIMITS.forwardWarning))])),
      quiet: () => one(probe('forward-lipschitz', [figure('sigma-max', 's', below(LIMITS.forwardWarning))])),
    },
  ],
  'invertibility-attack': [
    {
      raises: () => one(probe('attack', [figure('worst-error', 'w', above(LIMITS.attackError))])),
      quiet: () => one(probe('attack', [figure('worst-error', 'w', below(LIMITS.attackError))])),
    },
  ],
  'sampling-nonfinite': [
    {
      raises: () =>
        one(probe('sampling', [figure('nonfinite-rate', 'n', 0.01), figure('huge-rate', 'h', 0)])),
      quiet: () => one(probe('sampling', [figure('nonfinite-rate', 'n', 0), figure('huge-rate', 'h', 0)])),
    },
  ],
  'sampling-huge': [
    {
      raises: () =>
        one(probe('sampling', [figure('nonfinite-rate', 'n', 0), figure('huge-rate', 'h', 0.01)])),
      quiet: () => one(probe('sampling', [figure('nonfinite-rate', 'n', 0), figure('huge-rate', 'h', 0)])),
    },
  ],
  'ill-conditioned': [
    {
      raises: () => one(probe('condition', [figure('condition', 'c', above(LIMITS.conditionWarning))])),
      quiet: () => one(probe('condition', [figure('condition', 'c', below(LIMITS.conditionWarning))])),
    },
  ],
  'round-trip-drift': [
    {
      raises: () => one(probe('condition', [figure('drift', 'd', above(LIMITS.driftWarning))])),
      quiet: () => one(probe('condition', [figure('drift', 'd', below(LIMITS.driftWarning))])),
    },
  ],
  'logdet-mismatch': [
    {
      raises: () =>
        one(
          probe('logdet', [
            figure('max-error', 'e', above(LIMITS.logDet)),
            figure('tolerance', 't', LIMITS.logDet),
          ]),
        ),
      quiet: () =>
        one(
          probe('logdet', [
            figure('max-error', 'e', below(LIMITS.logDet)),
            figure('tolerance', 't', LIMITS.logDet),
          ]),
        ),
    },
  ],
  'memory-backprop': [
    {
      raises: () =>
        one(probe('memory-backprop', [figure('gradient-error', 'g', above(LIMITS.gradientWarning))])),
      quiet: () =>
        one(probe('memory-backprop', [figure('gradient-error', 'g', below(LIMITS.gradientWarning))])),
    },
  ],
  'memory-backprop-weights': [
    {
      raises: () =>
        one(
          probe('memory-backprop', [
            figure('gradient-error', 'g', 0),
            figure('weight-gradient-error', 'w', above(LIMITS.gradientWarning)),
          ]),
        ),
      quiet: () =>
        one(
          probe('memory-backprop', [
            figure('gradient-error', 'g', 0),
            figure('weight-gradient-error', 'w', below(LIMITS.gradientWarning)),
          ]),
        ),
    },
  ],
};

function findings(input: Input): Array<{ code: string; severity: string; message: string }> {
  return buildReport({
    ...testAudit(input.intent ?? 'invertible'),
    model: { name: 'm', source: 'inline' },
    settings: { probes: [], seed: 0, points: 4, budgetSeconds: 5, data: 'normal', options: {} },
    probes: input.probes,
    startedAt: Date.now(),
    ...(input.error === true ? { error: { phase: 'load' as const, message: 'boom' } } : {}),
  }).findings;
}

describe('finding codes', () => {
  it(`${FINDINGS_PAGE} holds the table generated from FINDING_CODES`, () => {
    const page = readFileSync(join(__dirname, '..', '..', '..', FINDINGS_PAGE), 'utf8');
    assert.equal(page, withFindingTable(page), 'stale: run `npx tsx scripts/write-finding-docs.ts`');
    for (const code of Object.keys(FINDING_CODES)) assert.ok(page.includes(`| \`${code}\` |`), code);
  });

  for (const [code, cases] of Object.entries(CASES) as Array<[FindingCode, Case[]]>)
    it(`${code}: raised past its threshold with its documented severity, not short of it`, () => {
      const documented = FINDING_CODES[code].severity;
      for (const c of cases) {
        const raised = findings(c.raises()).filter((f) => f.code === code);
        assert.equal(raised.length, 1, `${code} raised ${raised.length} times`);
        const expected = c.severity ?? documented;
        assert.equal(raised[0]!.severity, expected);
        assert.ok(documented === expected || documented === 'error or warning');
        assert.deepEqual(
          findings(c.quiet()).filter((f) => f.code === code),
          [],
        );
      }
    });

  it('every documented code has a case', () => {
    assert.deepEqual(Object.keys(CASES).sort(), Object.keys(FINDING_CODES).sort());
  });

  it('the out-of-distribution warning says at which scale each input kind starts failing', () => {
    const [f] = findings(
      one(
        reconstruction(1e-7, 1e-7, [
          ['data', 1, 1e-7],
          ['data', 2, NaN],
          ['data', 4, NaN],
          ['uniform', 4, 0.5],
          ['structured', 8, 1e-7],
        ]),
      ),
    );
    assert.match(f!.message, /from the data scaled by 2, uniform noise at 4× the data's RMS\.$/);
  });
});
