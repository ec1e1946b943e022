import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport } from '../../src/report/build';
import { figure, parseReport, REPORT_VERSION, ReportParseError, type Report } from '../../src/report/schema';
import { probeResult as probe, testAudit } from './audit-context';
import { deriveFindings, NO_INVERSE_MESSAGE } from '../../src/report/findings';
import { provenanceLines } from '../../src/report/provenance-text';
import { verdictText } from '../../src/protocol/webview';

const range = { file: '/w/model.ts', start: { line: 11, character: 0 }, end: { line: 11, character: 20 } };

function sample() {
  return buildReport({
    ...testAudit(),
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
      (e: unknown) =>
        e instanceof ReportParseError &&
        /unsupported report version 3 \(this reader knows 2\)$/.test(e.message),
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
      ...testAudit(),
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

describe('report schema v2: intent and provenance', () => {
  it('refuses a version-1 report, saying it is older and to run the audit again', () => {
    const { intent: _intent, provenance: _provenance, ...v1 } = { ...sample(), version: 1 };
    assert.throws(
      () => parseReport(JSON.stringify(v1)),
      (e: unknown) =>
        e instanceof ReportParseError &&
        /^unsupported report version 1 \(this reader knows 2\): it was written by an older Lipschitz Lens .*run the audit again$/.test(
          e.message,
        ),
    );
  });

  it('validates intent, provenance and per-probe backends', () => {
    const r = sample();
    assert.throws(() => parseReport({ ...r, intent: { kind: 'flow', signals: [] } }), /intent\.kind/);
    assert.throws(
      () => parseReport({ ...r, provenance: { ...r.provenance, weights: { kind: 'checkpoint' } } }),
      /provenance\.weights: a checkpoint needs path and modified/,
    );
    assert.throws(() => parseReport({ ...r, provenance: undefined }), /provenance must be an object/);
    const [first, ...rest] = r.probes;
    assert.throws(
      () => parseReport({ ...r, probes: [{ ...first!, backend: { name: 'cpu', fallback: {} } }, ...rest] }),
      /backend\.fallback/,
    );
    const fellBack = {
      ...r,
      probes: [
        { ...first!, backend: { name: 'cpu', fallback: { from: 'wasm', reason: 'no kernel' } } },
        ...rest,
      ],
    };
    assert.deepEqual(parseReport(JSON.stringify(fellBack)), fellBack);
  });

  it('an ordinary model is never faulted for its inverse; an invertible one without inverse() is', () => {
    const inverse = probe('inverse-lipschitz', [figure('inverse-lipschitz', 'inv', Infinity)]);
    const forward = probe('forward-lipschitz', [figure('sigma-max', 's', 2)]);
    assert.deepEqual(deriveFindings([forward, inverse], {}, 'ordinary'), []);
    assert.deepEqual(
      deriveFindings([forward, inverse], {}, 'invertible').map((f) => [f.code, f.severity]),
      [['exploding-inverse', 'error']],
    );
    const skipped = probe('reconstruction', [], { status: 'skipped', message: NO_INVERSE_MESSAGE });
    assert.deepEqual(
      deriveFindings([forward, skipped], {}, 'invertible').map((f) => [f.code, f.severity]),
      [['missing-inverse', 'error']],
    );
    assert.deepEqual(deriveFindings([forward, skipped], {}, 'ordinary'), []);
  });

  it('words the verdict and the provenance by the weights: fresh is the architecture, a checkpoint is named', () => {
    const fresh = sample();
    assert.equal(verdictText(fresh), 'architecture is unstable (fresh weights)');
    const line = (r: Report, label: string): string =>
      provenanceLines(r).find((l) => l.label === label)!.text;
    assert.match(
      line(fresh, 'weights'),
      /^fresh initialisation: this audits the architecture, not a trained model/,
    );
    assert.equal(line(fresh, 'data'), '4 standard normals (scale 1)');
    const trained: Report = {
      ...fresh,
      findings: [],
      provenance: {
        ...fresh.provenance,
        weights: { kind: 'checkpoint', path: '/w/ckpt/model.json', modified: '2026-11-01T10:00:00.000Z' },
      },
      intent: { kind: 'ordinary', signals: [], decidedBy: 'code' },
    };
    assert.equal(verdictText(trained), 'model looks stable (checkpoint weights, forward map only)');
    assert.equal(
      line(trained, 'weights'),
      'checkpoint /w/ckpt/model.json (modified 2026-11-01T10:00:00.000Z)',
    );
    assert.match(line(trained, 'intent'), /^ordinary: .*no invertibility verdict/);
  });
});
