/** The comparison's curves and rows, from a hand-written sweep whose answers are known. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  brokenShare,
  type Comparison,
  type ComparedFlow,
  comparisonRows,
  errorVsScale,
} from '../../src/report/comparison';
import { figure } from '../../src/report/schema';
import { probeResult } from './audit-context';

/** A flow whose sweep has, per scale, one row per input kind: [kind, scale, median, max (null: NaN), nan_rows]. */
function flow(id: string, rows: Array<[string, number, number | null, number]>): ComparedFlow {
  return {
    id,
    title: id,
    description: '',
    training: { steps: 1, seconds: 0, losses: [] },
    testNll: 1,
    findings: [],
    probes: [
      probeResult(
        'reconstruction',
        [figure('ood-max', 'worst', rows.some((r) => r[2] === null) ? NaN : 1e-6)],
        {
          tables: [
            {
              id: 'sweep',
              title: 'Sweep',
              columns: ['input', 'scale', 'median_error', 'max_error', 'nan_rows'],
              rows: rows.map(([k, s, max, nan]) => [k, s, 0, max, nan]),
            },
          ],
        },
      ),
    ],
  };
}

const comparison: Comparison = {
  version: 1,
  kind: 'comparison',
  tool: 'lipschitz-lens',
  title: 't',
  createdAt: '',
  durationMs: 0,
  data: { description: '', dim: 2, train: 1, test: 1 },
  settings: {
    seed: 1,
    steps: 1,
    batch: 1,
    learningRate: 1,
    backend: 'cpu',
    probePoints: 4,
    scales: [1, 2, 4],
  },
  flows: [
    flow('breaks', [
      ['data', 1, 1e-7, 0],
      ['uniform', 1, 3e-7, 0],
      ['data', 2, 2e-6, 0],
      ['uniform', 2, null, 1],
      ['data', 4, null, 4],
      ['uniform', 4, null, 2],
    ]),
    flow('holds', [
      ['data', 1, 2e-7, 0],
      ['uniform', 1, 1e-7, 0],
      ['data', 2, 2e-7, 0],
      ['uniform', 2, 5e-7, 0],
    ]),
  ],
};

describe('comparison curves', () => {
  it('error vs scale: the largest over input kinds, a gap where any input broke, a gap past the sweep', () => {
    assert.deepEqual(
      errorVsScale(comparison).series.map((s) => [s.name, s.y]),
      [
        ['breaks', [3e-7, null, null]],
        ['holds', [2e-7, 5e-7, null]],
      ],
    );
  });

  it('broken share: NaN rows over all rows of the scale, in percent', () => {
    assert.deepEqual(
      brokenShare(comparison).series.map((s) => s.y),
      [
        [0, 12.5, 75],
        [0, 0, null],
      ],
    );
  });

  it('rows say broken where the sweep saw NaN/Inf', () => {
    assert.deepEqual(
      comparisonRows(comparison).map((r) => r.worstError),
      ['broken', 1e-6],
    );
  });
});
