import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFromWebview, isToWebview, reportVerdict } from '../../core/src/protocol/webview';
import { formatValue, sourceLink, toViewModel } from '../src/view-model';
import { report, staticBounds } from './fixtures/report';

describe('report view model', () => {
  it('summarises a report into cards, curves, blocks and findings', () => {
    const vm = toViewModel(report, staticBounds);
    assert.equal(vm.verdict, 'unstable');
    assert.deepEqual(
      vm.cards.map((c) => [c.id, c.value, c.bad]),
      [
        ['forward', '1.82', false],
        ['inverse', '2.40e+4', true],
        ['condition', '4.40e+4', false],
        ['reconstruction', '0.8', true],
        ['nan-rate', '1.25%', true],
      ],
    );
    assert.equal(vm.curves[0]?.id, 'error-vs-scale');
    assert.deepEqual(vm.blocks[2], {
      ...vm.blocks[2],
      name: 'block_2',
      measuredInverse: 2.4e4,
      staticInverse: 'unbounded',
    });
    assert.ok(vm.findings.every((f) => f.file && f.range));
    // The linter's findings sit beside the measured values, at their block and in a list of their own.
    assert.equal(vm.blocks[2]?.lint, 'error residual-coefficient-too-large');
    assert.equal(vm.blocks[0]?.lint, '');
    assert.deepEqual(
      vm.lint.map((f) => [f.severity, f.where]),
      [['error', 'block block_2']],
    );
    // The measurements already found errors: nothing to reconcile.
    assert.equal(vm.lintRelation, undefined);
    assert.equal(vm.verdictText, 'architecture is unstable (fresh weights)');
    assert.deepEqual(
      vm.provenance.map((l) => l.label),
      ['weights', 'data', 'seed', 'ran on', 'intent'],
    );
  });

  it('formats non-finite figures and says nothing when a figure is absent', () => {
    assert.equal(formatValue({ id: 'a', label: 'a', value: null, nonFinite: 'nan' }), 'NaN');
    assert.equal(formatValue({ id: 'a', label: 'a', value: null, nonFinite: 'inf' }), '∞');
    // Not measured or not read: unknown, the word the bounds use for a number not known.
    assert.equal(formatValue({ id: 'a', label: 'a', value: null }), 'unknown');
    assert.equal(formatValue(undefined), '—');
    assert.equal(reportVerdict({ status: 'failed', findings: [] }), 'failed');
    assert.equal(reportVerdict({ status: 'complete', findings: [] }), 'stable');
  });

  it('links source for standalone pages: file URL with the 1-based line, base name shown', () => {
    const range = { start: { line: 11, character: 2 }, end: { line: 11, character: 9 } };
    assert.deepEqual(sourceLink('/w/my model#1.ts', range), {
      href: 'file:///w/my%20model%231.ts#L12',
      label: 'my model#1.ts:12',
      title: '/w/my model#1.ts:12',
    });
    assert.equal(sourceLink('C:\\w\\flow.ts', range).href, 'file:///C:/w/flow.ts#L12');
  });
});

describe('webview message guards', () => {
  it('accept the declared shapes only', () => {
    assert.equal(isFromWebview({ type: 'ready' }), true);
    const range = { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } };
    assert.equal(isFromWebview({ type: 'reveal', file: '/a.ts', range }), true);
    assert.equal(
      isFromWebview({
        type: 'reveal',
        file: '/a.ts',
        range: { start: { line: -1, character: 0 }, end: range.end },
      }),
      false,
    );
    assert.equal(isFromWebview({ type: 'reveal', file: '', range }), false);
    assert.equal(isFromWebview({ type: 'export', format: 'pdf' }), false);
    assert.equal(isFromWebview({ type: 'runCode' }), false);
    assert.equal(isFromWebview('ready'), false);
    assert.equal(isToWebview({ type: 'report', report: {} }), true);
    assert.equal(isToWebview({ type: 'report', report: [] }), false);
    assert.equal(isToWebview({ type: 'clear' }), false);
  });
});
