/**
 * The report and the comparison page fit their panel in headless Chromium: no horizontal overflow at 700 and
 * 1,400 px, tables that fit, charts that span their host and follow a resize, legends that show values, chart
 * titles sized as the page's headings, and charts recoloured live when VS Code switches theme.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ToWebview } from '../../core/src/protocol/webview';
import { makeNonce, standaloneComparisonHtml, standaloneHtml } from '../../core/src/report/page';
import { type PageGlobals, skipBrowser as skip, startWebview, type WebviewServer } from './browser';
import { comparison } from './fixtures/comparison';
import { longReport, longStaticBounds } from './fixtures/report';

const out = join(__dirname, '..', '..', 'test-output');

interface Layout {
  viewport: number;
  scrollWidth: number;
  clientWidth: number;
  /** Per table: its width and the width of the box it must fit in. */
  tables: Array<{ width: number; room: number }>;
  /** Per chart host: its width and its canvas's CSS width. */
  charts: Array<{ id: string; host: number; canvas: number }>;
  /** Tallest block row, in lines of the table's text. */
  rowLines: number;
}

async function layout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const tables = [...document.querySelectorAll('table:not(.u-legend)')].map((t) => ({
      width: t.getBoundingClientRect().width,
      room: (t.parentElement as HTMLElement).clientWidth,
    }));
    const charts = [...document.querySelectorAll<HTMLElement>('[data-chart]')].map((h) => ({
      id: h.dataset.chart!,
      host: h.clientWidth,
      canvas: h.querySelector('canvas')!.getBoundingClientRect().width,
    }));
    const lineHeight = parseFloat(getComputedStyle(document.body).fontSize) * 1.35;
    const rows = [...document.querySelectorAll('tr[data-block]')].map(
      (r) => r.getBoundingClientRect().height,
    );
    return {
      viewport: window.innerWidth,
      scrollWidth: doc.scrollWidth,
      clientWidth: doc.clientWidth,
      tables,
      charts,
      rowLines: rows.length > 0 ? Math.max(...rows) / lineHeight : 0,
    };
  });
}

/** Charts are resized by a ResizeObserver, one frame after the panel: wait until every canvas spans its host. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLElement>('[data-chart]')].every((h) => {
        const c = h.querySelector('canvas');
        return c !== null && Math.abs(c.getBoundingClientRect().width - h.clientWidth) <= 2;
      }),
    undefined,
    { timeout: 5000 },
  );
}

function assertFits(l: Layout): void {
  const figures = JSON.stringify(l);
  assert.ok(l.scrollWidth <= l.clientWidth, `page overflows: ${figures}`);
  for (const t of l.tables) assert.ok(t.width <= t.room + 1, `a table is wider than its room: ${figures}`);
  assert.ok(l.charts.length > 0, figures);
  for (const c of l.charts) {
    assert.ok(Math.abs(c.canvas - c.host) <= 2, `chart ${c.id} does not span its host: ${figures}`);
    // Spanning the width: the host is the page's width less its padding.
    assert.ok(c.host >= l.clientWidth - 40, `chart ${c.id} host is narrow: ${figures}`);
  }
}

/** Pixels of a canvas within 40 (sum of channel differences) of an opaque colour. */
async function pixelsNear(page: Page, selector: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(
    ([sel, [r, g, b]]) => {
      const c = document.querySelector<HTMLCanvasElement>(sel)!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4)
        if (d[i + 3]! > 200 && Math.abs(d[i]! - r) + Math.abs(d[i + 1]! - g) + Math.abs(d[i + 2]! - b) < 40)
          n++;
      return n;
    },
    [selector, rgb] as const,
  );
}

/** Opaque pixels in the canvas's last two columns: a clipped last x label leaves its ink there. */
async function inkAtRightEdge(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(sel)!;
    const d = c.getContext('2d')!.getImageData(c.width - 2, 0, 2, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n;
  }, selector);
}

describe('report layout in Chromium', { skip, timeout: 120_000 }, () => {
  let web: WebviewServer;

  before(async () => {
    mkdirSync(out, { recursive: true });
    web = await startWebview();
  });

  after(async () => {
    await web?.close();
  });

  async function openReport(width: number): Promise<Page> {
    const page = await web.browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(`${web.origin}/`);
    await page.waitForFunction(() =>
      (window as unknown as PageGlobals).__posted.some((m) => m.type === 'ready'),
    );
    const message: ToWebview = { type: 'report', report: longReport, staticBounds: longStaticBounds };
    await page.evaluate((m) => window.postMessage(m, '*'), message);
    await page.waitForFunction(() => document.querySelectorAll('canvas').length >= 3);
    return page;
  }

  for (const width of [700, 1400]) {
    it(`fits a ${width} px panel: no overflow, the blocks table fits, charts span the width`, async (t) => {
      const page = await openReport(width);
      await settled(page);
      const l = await layout(page);
      t.diagnostic(`report at ${width} px: ${JSON.stringify(l)}`);
      await page.screenshot({ path: join(out, `webview-report-${width}.png`), fullPage: true });
      assertFits(l);
      // Long names break between their words and long proofs fold into an expander: rows stay short.
      const most = width < 1000 ? 4.2 : 1.5;
      assert.ok(l.rowLines <= most, `block rows are ${l.rowLines.toFixed(1)} lines tall`);
      for (const id of ['error-vs-scale', 'rates-vs-temperature', 'blocks'])
        assert.equal(
          await inkAtRightEdge(page, `[data-chart="${id}"] canvas`),
          0,
          `${id}: last x label clipped`,
        );
      assert.deepEqual(await page.evaluate(() => (window as unknown as PageGlobals).__violations), []);
      await page.close();
    });
  }

  it('fits a standalone export to 700 px, with file:line under each block name', async (t) => {
    const page = await web.browser.newPage({ viewport: { width: 700, height: 900 } });
    await page.setContent(
      standaloneHtml({
        nonce: makeNonce(),
        script: web.script,
        report: longReport,
        staticBounds: longStaticBounds,
      }),
    );
    await page.waitForFunction(() => document.querySelectorAll('canvas').length >= 3);
    await settled(page);
    const l = await layout(page);
    t.diagnostic(`standalone report at 700 px: ${JSON.stringify(l)}`);
    assertFits(l);
    assert.deepEqual(await page.locator('[data-testid=blocks] td.name a.source').allTextContents(), [
      'flow.ts:6',
      'flow.ts:7',
      'flow.ts:8',
    ]);
    await page.close();
  });

  it('resizes its charts with the panel, both ways', async (t) => {
    const page = await openReport(700);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await settled(page);
    const narrow = await layout(page);
    await page.setViewportSize({ width: 1400, height: 900 });
    await settled(page);
    const wide = await layout(page);
    await page.setViewportSize({ width: 700, height: 900 });
    await settled(page);
    const back = await layout(page);
    t.diagnostic(
      `canvas widths 700 -> 1400 -> 700 px: ${[narrow, wide, back].map((l) => l.charts[0]!.canvas).join(' -> ')}`,
    );
    for (const l of [wide, back]) assertFits(l);
    assert.ok(wide.charts[0]!.canvas > narrow.charts[0]!.canvas + 600);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows values in the legends without hovering, in exponent notation where small', async () => {
    const page = await openReport(1000);
    const legend = page.locator('[data-chart="error-vs-scale"] .u-legend');
    const idle = await legend.locator('.u-value').allTextContents();
    assert.ok(!idle.some((v) => v.includes('--')), `idle legend: ${idle.join(' | ')}`);
    // The last finite point of each series: 0.004 at scale 64 in distribution, 0.2 at 32 out of distribution.
    assert.deepEqual(idle.slice(1), ['0.004 at 64', '0.2 at 32']);
    // Hovering the first point reads 1e-7, which uPlot's default formatter printed as 0.
    const over = await page.locator('[data-chart="error-vs-scale"] .u-over').boundingBox();
    await page.mouse.move(over!.x + 2, over!.y + over!.height / 2);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-chart="error-vs-scale"] .u-legend .u-value')].some((v) =>
        v.textContent!.includes('e-7'),
      ),
    );
    const hovered = await legend.locator('.u-value').allTextContents();
    assert.deepEqual(hovered, ['0.5', '1.00e-7', '3.00e-6']);
    await page.mouse.move(0, 0);
    await page.waitForFunction(
      () =>
        !document.querySelector('[data-chart="error-vs-scale"] .u-legend')!.textContent!.includes('e-7') &&
        !document.querySelector('[data-chart="error-vs-scale"] .u-legend')!.textContent!.includes('--'),
    );
    await page.close();
  });

  it('folds a long proof after its first clause and opens it without revealing the source', async () => {
    const page = await openReport(1000);
    const cell = page.locator('tr[data-block=affine_coupling_AffineCoupling1] details.bound-source');
    assert.equal(await cell.locator('summary').textContent(), "affine coupling with scale 'bounded-tanh':");
    assert.equal(await cell.getAttribute('open'), null);
    await cell.locator('summary').click();
    assert.equal(await cell.getAttribute('open'), '');
    // The whole proof is there once open, first clause and rest.
    const text = (await cell.textContent())!.replace("'bounded-tanh':", "'bounded-tanh': ");
    assert.equal(text, longStaticBounds[0]!.source);
    const reveals = await page.evaluate(
      () => (window as unknown as PageGlobals).__posted.filter((m) => m.type === 'reveal').length,
    );
    assert.equal(reveals, 0);
    // The row itself still reveals.
    await page.locator('tr[data-block=affine_coupling_AffineCoupling1] td.number').first().click();
    await page.waitForFunction(() =>
      (window as unknown as PageGlobals).__posted.some((m) => m.type === 'reveal'),
    );
    await page.close();
  });

  it("sizes chart titles as the page's section headings", async () => {
    const page = await openReport(1000);
    const sizes = await page.evaluate(() => ({
      title: getComputedStyle(document.querySelector('.u-title')!).fontSize,
      heading: getComputedStyle(document.querySelector('section h2')!).fontSize,
    }));
    assert.equal(sizes.title, sizes.heading);
    await page.close();
  });

  it('recolours its charts when VS Code switches theme', async () => {
    const page = await openReport(1000);
    const chart = '[data-chart="error-vs-scale"] canvas';
    const magenta: [number, number, number] = [255, 0, 255];
    assert.equal(await pixelsNear(page, chart, magenta), 0);
    const marker = (): Promise<string> =>
      page.evaluate(
        () =>
          getComputedStyle(
            document.querySelector('[data-chart="error-vs-scale"] .u-series:nth-child(2) .u-marker')!,
          ).borderTopColor,
      );
    const markerBefore = await marker();
    // What VS Code does on a theme change: new --vscode-* values on <html>, a new theme class on <body>.
    await page.evaluate(() => {
      document.documentElement.style.setProperty('--vscode-charts-blue', 'rgb(255, 0, 255)');
      document.body.classList.remove('vscode-dark');
      document.body.classList.add('vscode-light');
    });
    // The observers run as microtasks of that task, and uPlot draws in one: drawn before the next evaluate.
    const recoloured = await pixelsNear(page, chart, magenta);
    assert.ok(recoloured > 200, `magenta pixels after the switch: ${recoloured}`);
    assert.notEqual(markerBefore, 'rgb(255, 0, 255)');
    assert.equal(await marker(), 'rgb(255, 0, 255)', 'the legend marker keeps the old colour');
    assert.deepEqual(await page.evaluate(() => (window as unknown as PageGlobals).__violations), []);
    await page.close();
  });

  for (const width of [700, 1400]) {
    it(`fits the comparison page to ${width} px`, async (t) => {
      const page = await web.browser.newPage({ viewport: { width, height: 900 } });
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.setContent(standaloneComparisonHtml({ nonce: makeNonce(), script: web.script, comparison }));
      await page.waitForFunction(() => document.querySelectorAll('canvas').length >= 4);
      await settled(page);
      const l = await layout(page);
      t.diagnostic(`comparison at ${width} px: ${JSON.stringify(l)}`);
      assertFits(l);
      assert.deepEqual(violations, []);
      await page.close();
    });
  }
});
