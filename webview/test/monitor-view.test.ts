/**
 * The Training monitor view in headless Chromium under the panel's strict CSP: the extension posts a real run
 * (core/test/helpers/growing-run.ts) as it grows, and the page's table and charts follow it; a block's row posts
 * `reveal-block`; two runs show side by side; a run that cannot be read says why in its column. Needs Debian's
 * chromium (scripts/ensure-chromium.sh installs it in CI).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { parseRunFile } from '../../core/src/monitor/run-file';
import type { RunText, ToWebview } from '../../core/src/protocol/webview';
import { GROWING_BLOCK, recordGrowingRun, STEADY_BLOCK } from '../../core/test/helpers/growing-run';
import { type PageGlobals, skipBrowser as skip, startWebview, type WebviewServer } from './browser';

if (skip)
  console.log(
    '# SKIP monitor view browser test: /usr/bin/chromium is absent (run scripts/ensure-chromium.sh).',
  );

const RUN_ID = 'file:///work/space/.lipschitz-lens/runs/growing.jsonl';

/** Fingerprint of a chart's canvas pixels: changes when the chart draws different data. */
function canvasSum(page: Page, chart: string): Promise<number> {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-chart="${id}"] canvas`) as HTMLCanvasElement | null;
    if (!c) return -1;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum = (sum * 31 + data[i]!) % 1_000_000_007;
    return sum;
  }, chart);
}

describe('training monitor view in Chromium', { skip, timeout: 120_000 }, () => {
  let web: WebviewServer;
  let page: Page;
  let lines: string[] = [];

  before(async () => {
    lines = await recordGrowingRun();
    web = await startWebview();
    page = await web.browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(`${web.origin}/`);
    await page.waitForFunction(() =>
      (window as unknown as PageGlobals).__posted.some((m) => m.type === 'ready'),
    );
  });

  after(async () => {
    await web?.close();
  });

  const post = (message: ToWebview): Promise<void> =>
    page.evaluate((m) => window.postMessage(m, '*'), message);
  const run = (n: number, extra = ''): RunText => ({
    id: RUN_ID,
    label: '.lipschitz-lens/runs/growing.jsonl',
    text: lines.slice(0, n).join('') + extra,
  });
  const stepCell = (block: string): Promise<string | null> =>
    page.locator(`tr[data-block=${block}] td`).nth(1).textContent();

  it('draws a run as it grows: the table and the charts follow the file', async () => {
    // Header and two measurements, with the third line half written.
    await post({ type: 'runs', runs: [run(3, lines[3]!.slice(0, 50))] });
    await page.waitForFunction(() => document.querySelectorAll('[data-chart] canvas').length >= 4);
    const early = parseRunFile(lines.slice(0, 3).join(''));
    assert.equal(await stepCell(GROWING_BLOCK), String(early.measurements[1]!.step));
    const inverseBefore = await canvasSum(page, 'run-inverse');
    const reconstructionBefore = await canvasSum(page, 'run-reconstruction');
    assert.ok(inverseBefore > 0);

    await post({ type: 'runs', runs: [run(lines.length)] });
    const whole = parseRunFile(lines.join(''));
    const last = String(whole.measurements.at(-1)!.step);
    await page.waitForFunction(
      ([block, step]) =>
        document.querySelector(`tr[data-block=${block}] td:nth-child(2)`)?.textContent === step,
      [GROWING_BLOCK, last] as const,
    );
    // The charts were redrawn with more steps: their pixels differ.
    await page.waitForFunction(() => document.querySelectorAll('[data-chart] canvas').length >= 4);
    assert.notEqual(await canvasSum(page, 'run-inverse'), inverseBefore);
    assert.notEqual(await canvasSum(page, 'run-reconstruction'), reconstructionBefore);
    // The growing block crossed the run's inverse threshold, the steady one did not.
    assert.match(
      (await page.locator(`tr[data-block=${GROWING_BLOCK}] td`).last().textContent())!,
      /^step \d+/,
    );
    assert.equal(await page.locator(`tr[data-block=${STEADY_BLOCK}] td`).last().textContent(), '-');
    // One chart set, not one per update.
    assert.equal(await page.locator('[data-chart=run-inverse]').count(), 1);
  });

  it("posts reveal-block with the run's id when a block's row is clicked", async () => {
    await page.locator(`tr[data-block=${GROWING_BLOCK}]`).click();
    const reveals = await page.evaluate(() =>
      (window as unknown as PageGlobals).__posted.filter((m) => m.type === 'reveal-block'),
    );
    assert.deepEqual(reveals, [{ type: 'reveal-block', run: RUN_ID, block: GROWING_BLOCK }]);
  });

  it('shows runs side by side, and says why a run cannot be read', async () => {
    const failure = `${JSON.stringify({ type: 'error', step: 7, time: '', message: 'inverse exploded' })}\n`;
    const other: RunText = {
      id: 'file:///b.jsonl',
      label: 'b.jsonl',
      text: lines.slice(0, 4).join('') + failure,
    };
    const newer: RunText = {
      id: 'file:///c.jsonl',
      label: 'c.jsonl',
      text: lines[0]!.replace(/"version":\d+/, '"version":99'),
    };
    await post({ type: 'runs', runs: [run(lines.length), other, newer] });
    await page.waitForFunction(() => document.querySelectorAll('[data-run]').length === 3);
    const boxes = await page
      .locator('[data-run]')
      .evaluateAll((els) =>
        els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, width: r.width })),
      );
    assert.ok(boxes[0]!.x < boxes[1]!.x && boxes[1]!.x < boxes[2]!.x, 'columns left to right');
    assert.ok(boxes.every((b) => b.width > 200 && b.width < 450));
    assert.equal(
      await page.locator('[data-run="file:///b.jsonl"] [data-chart=run-inverse] canvas').count(),
      1,
    );
    // A failed measurement is listed with the alerts, as a failure.
    assert.match(
      (await page.locator('[data-run="file:///b.jsonl"] [data-testid=run-alerts]').textContent())!,
      /failedThe measurement after step 7 failed: inverse exploded/,
    );
    assert.match(
      (await page.locator('[data-run="file:///c.jsonl"]').textContent())!,
      /unsupported run file version 99/,
    );
    assert.deepEqual(await page.evaluate(() => (window as unknown as PageGlobals).__violations), []);
  });
});
