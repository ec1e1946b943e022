import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMBEDDED_STATIC_BOUNDS_ID, type StaticBlockBound } from '../../core/src/protocol/webview';
import { buildReport } from '../../core/src/report/build';
import { exportedHtml } from '../src/report-export';

describe('exported HTML report', () => {
  const report = buildReport({
    model: { name: 'critic', source: 'module' },
    settings: { probes: [], seed: 0, points: 1, budgetSeconds: 1, data: 'x', options: {} },
    probes: [],
    startedAt: Date.now(),
  });
  const bundle = '(() => { console.log("report ui"); })();\n//# sourceMappingURL=report.js.map\n';

  it('embeds the static bounds, as the CLI page does', () => {
    const bounds: StaticBlockBound[] = [{ label: 'dense', forward: 2.5, inverse: 'unbounded', source: 'x' }];
    const html = exportedHtml(report, bundle, bounds);
    const m = html.match(
      new RegExp(`<script type="application/json" id="${EMBEDDED_STATIC_BOUNDS_ID}">([^<]*)</script>`),
    );
    assert.ok(m, 'a static bounds element');
    assert.deepEqual(JSON.parse(m[1]!), bounds);
  });

  it('has no static bounds element without bounds, and never the bundle source map comment', () => {
    const html = exportedHtml(report, bundle);
    assert.ok(!html.includes(EMBEDDED_STATIC_BOUNDS_ID));
    assert.ok(html.includes('console.log("report ui")'));
    assert.ok(!html.includes('sourceMappingURL'));
  });
});
