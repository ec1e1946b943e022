/** A block row carries the block's kind beside its name, from the static bounds, whether or not it was measured. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StaticBlockBound } from '../../core/src/protocol/webview';
import { blockRows } from '../src/view-model';
import { report } from './fixtures/report';

const bound = (label: string, kind?: string): StaticBlockBound => ({
  label,
  ...(kind ? { kind } : {}),
  forward: 1.81,
  inverse: 5.263,
  source: '1 + L / 1/(1-L) with L=0.81',
});

describe('block rows', () => {
  it('name a block as the code does, with its kind as a separate field', () => {
    const unmeasured = { ...report, model: { ...report.model, blocks: [] }, probes: [] };
    const rows = blockRows(unmeasured, [bound('block0_in', 'residual'), bound('block_2', 'residual')]);
    assert.deepEqual(
      rows.map((r) => [r.name, r.kind]),
      [
        ['block0_in', 'residual'],
        ['block_2', 'residual'],
      ],
    );
  });

  it('keep the run-time name of a measured block and take the kind of the static row at its place', () => {
    const names = report.model.blocks!;
    const rows = blockRows(
      report,
      names.map((n) => bound(n, 'dense')),
    );
    assert.deepEqual(
      rows.map((r) => [r.name, r.kind]),
      names.map((n) => [n, 'dense']),
    );
    // A report written before kinds existed has none.
    assert.ok(
      blockRows(
        report,
        names.map((n) => bound(n)),
      ).every((r) => r.kind === undefined),
    );
  });
});
