import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport } from '../../src/report/build';
import {
  figure,
  parseReport,
  REPORT_VERSION,
  ReportParseError,
  type ProbeResult,
} from '../../src/report/schema';

const range = { file: '/w/model.ts', start: { line: 11, character: 0 }, end: { line: 11, character: 20 } };

function probe(id: string, figures: ProbeResult['figures'], extra: Partial<ProbeResult> = {}): ProbeResult {
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

function sample() {
  return buildReport({
    model: { name: 'flow <b>', source: 'module', file: '/w/model.ts', range },
    settings: {
      probes: ['reconstruction', 'inverse-lipschitz'],
      seed: 0,
      points: 4,
      budgetSeconds: 5,
      data: 'normal',
      options: {},
    },
    startedAt: Date.now(),
    sources: { model: range, blocks: { coupling_2: { ...range, start: { line: 20, character: 2 } } } },
    probes: [
      probe(
        'reconstruction',
        [
          figure('data-max', 'err', 1e-7),
          figure('threshold', 't', 1e-2),
          figure('first-failing-scale', 's', 16),
        ],
        {
          curves: [
            {
              id: 'c',
              title: 'error vs scale',
              xLabel: 'scale',
              yLabel: 'err',
              logX: true,
              logY: true,
              x: [1, 16, 64],
              series: [{ name: 'data', y: [1e-7, 0.5, null] }],
            },
          ],
        },
      ),
      probe('inverse-lipschitz', [figure('inverse-lipschitz', 'inv', 5e4)], {
        tables: [
          {
            id: 'blocks',
            title: 'b',
            columns: ['block', 'method', 'inverse_lipschitz', 'median'],
            rows: [
              ['coupling_1', 'inverse Jacobian', 3, 2],
              ['coupling_2', 'inverse Jacobian', 5e4, 10],
            ],
          },
        ],
      }),
    ],
  });
}

describe('report schema', () => {
  it('round-trips through JSON and rejects unknown versions and bad shapes', () => {
    const r = sample();
    assert.deepEqual(parseReport(JSON.stringify(r)), r);
    assert.throws(
      () => parseReport({ ...r, version: REPORT_VERSION + 1 }),
      (e: unknown) => e instanceof ReportParseError && /unsupported report version 2/.test(e.message),
    );
    assert.throws(() => parseReport({ ...r, version: undefined }), /unsupported report version null/);
    assert.throws(
      () => parseReport({ ...r, findings: [{ severity: 'fatal', message: 'x' }] }),
      /finding severity/,
    );
    assert.throws(
      () =>
        parseReport({
          ...r,
          probes: [{ id: 'x', status: 'ok', figures: [{ id: 'f', value: 'NaN' }], tables: [], curves: [] }],
        }),
      /figure value/,
    );
    assert.throws(() => parseReport('{not json'), /not JSON/);
  });

  it('figures encode NaN and Inf for JSON', () => {
    assert.deepEqual(figure('a', 'A', NaN), { id: 'a', label: 'A', value: null, nonFinite: 'nan' });
    assert.deepEqual(figure('a', 'A', -Infinity), { id: 'a', label: 'A', value: null, nonFinite: '-inf' });
    assert.equal(JSON.parse(JSON.stringify(figure('a', 'A', Infinity))).nonFinite, 'inf');
  });

  it('findings name the exploding block and map to its source line', () => {
    const r = sample();
    const inv = r.findings.find((f) => f.code === 'exploding-inverse')!;
    assert.equal(inv.severity, 'error');
    assert.equal(inv.block, 'coupling_2');
    assert.equal(inv.range?.start.line, 20);
    const ood = r.findings.find((f) => f.code === 'non-invertible-ood')!;
    assert.equal(ood.severity, 'warning');
    assert.equal(ood.range?.start.line, 11);
    assert.equal(r.status, 'complete');
    assert.deepEqual(
      r.figures.map((f) => f.id),
      [
        'reconstruction.data-max',
        'reconstruction.first-failing-scale',
        'inverse-lipschitz.inverse-lipschitz',
      ],
    );
  });

  it('a failed audit is a report with the error first among the findings', () => {
    const r = buildReport({
      model: { name: 'm', source: 'module' },
      settings: { probes: [], seed: 0, points: 0, budgetSeconds: 1, data: '', options: {} },
      probes: [],
      startedAt: Date.now(),
      error: { phase: 'timeout', message: 'killed' },
    });
    assert.equal(r.status, 'failed');
    assert.equal(r.findings[0]!.code, 'audit-failed');
    parseReport(r);
  });
});
