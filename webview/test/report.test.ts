/**
 * The report webview in headless Chromium under the panel's strict CSP: the bundle renders a real report,
 * charts draw, a click posts `reveal`, and nothing violates the policy. Needs Debian's chromium
 * (scripts/ensure-chromium.sh installs it in CI).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ToWebview } from '../../core/src/protocol/webview';
import { makeNonce, standaloneHtml } from '../../core/src/report/page';
import { type PageGlobals, skipBrowser as skip, startWebview, type WebviewServer } from './browser';
import { MODEL_FILE, report, staticBounds } from './fixtures/report';

const root = join(__dirname, '..', '..');
const out = join(root, 'test-output');
if (skip)
  console.log('# SKIP webview browser test: /usr/bin/chromium is absent (run scripts/ensure-chromium.sh).');

describe('report webview in Chromium', { skip, timeout: 120_000 }, () => {
  let web: WebviewServer;
  let browser: Browser;
  let page: Page;
  let script = '';

  before(async () => {
    mkdirSync(out, { recursive: true });
    web = await startWebview();
    ({ browser, script } = web);
    page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    await page.goto(`${web.origin}/`);
  });

  after(async () => {
    await web?.close();
  });

  it('sends ready before it is sent data', async () => {
    await page.waitForFunction(() =>
      (window as unknown as PageGlobals).__posted.some((m) => m.type === 'ready'),
    );
    assert.equal(await page.locator('canvas').count(), 0);
  });

  it('renders the report: verdict, cards, charts with pixels, blocks and findings', async () => {
    const message: ToWebview = { type: 'report', report, staticBounds };
    await page.evaluate((m) => window.postMessage(m, '*'), message);
    await page.waitForFunction(() => document.querySelectorAll('canvas').length >= 2);
    assert.equal(
      await page.locator('[data-testid=verdict]').textContent(),
      'architecture is unstable (fresh weights)',
    );
    assert.equal(await page.locator('[data-testid=verdict]').getAttribute('data-verdict'), 'unstable');
    // Provenance comes first: the weights were a fresh initialisation, and the page says so before any figure.
    assert.match(
      (await page.locator('[data-provenance=weights]').textContent())!,
      /^fresh initialisation: this audits the architecture, not a trained model/,
    );
    assert.match((await page.locator('[data-provenance=intent]').textContent())!, /^invertible/);
    const cards = await page.locator('.card .label').allTextContents();
    assert.deepEqual(cards, [
      'Forward Lipschitz',
      'Inverse Lipschitz',
      'Condition number',
      'Worst reconstruction error',
      'NaN rate',
    ]);
    assert.equal(await page.locator('[data-card=inverse] .value').textContent(), '2.40e+4');
    // Every canvas uPlot drew must have real pixels on it, not just exist.
    const painted = await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map((c) => {
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      }),
    );
    assert.ok(
      painted.length >= 2 && painted.every((n) => n > 500),
      `painted pixels per canvas: ${painted.join(', ')}`,
    );
    const rows = await page.locator('[data-testid=blocks] tr[data-block]').count();
    assert.equal(rows, 3);
    const row2 = await page.locator('tr[data-block=block_2] td').allTextContents();
    assert.deepEqual(row2.slice(0, 5), ['block_2', '1.9', '1.9', 'unbounded', '2.40e+4']);
    assert.equal(row2[6], 'error residual-coefficient-too-large');
    assert.match((await page.locator('[data-testid=lint]').textContent())!, /residual-coefficient-too-large/);
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'webview-report.png'), fullPage: true });
  });

  it('posts a typed reveal message when a finding or a block is clicked', async () => {
    await page.locator('[data-testid=findings] li.clickable').first().click();
    await page.locator('tr[data-block=block_1]').click();
    const reveals = await page.evaluate(() =>
      (window as unknown as PageGlobals).__posted.filter((m) => m.type === 'reveal'),
    );
    assert.equal(reveals.length, 2);
    for (const r of reveals) {
      assert.equal(r.type === 'reveal' && r.file, MODEL_FILE);
    }
    assert.deepEqual(reveals[1], { type: 'reveal', file: MODEL_FILE, range: staticBounds[1]!.range });
  });

  it('ignores malformed messages and refuses unknown report versions', async () => {
    await page.evaluate(() => window.postMessage({ type: 'reveal', file: 'x' }, '*'));
    await page.evaluate(() => window.postMessage({ type: 'report', report: { version: 99 } }, '*'));
    await page.waitForFunction(() => document.body.textContent!.includes('unsupported report version 99'));
  });

  it('caused no CSP violations', async () => {
    assert.deepEqual(await page.evaluate(() => (window as unknown as PageGlobals).__violations), []);
  });

  it('renders the same UI from a standalone HTML export (embedded report, no VS Code API)', async () => {
    const standalone = await browser.newPage();
    const violations: string[] = [];
    standalone.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await standalone.setContent(standaloneHtml({ nonce: makeNonce(), script, report }));
    await standalone.waitForFunction(() => document.querySelectorAll('canvas').length >= 2);
    assert.equal(
      await standalone.locator('[data-testid=verdict]').textContent(),
      'architecture is unstable (fresh weights)',
    );
    assert.match(
      (await standalone.locator('[data-testid=provenance]').textContent())!,
      /fresh initialisation/,
    );
    assert.equal(await standalone.locator('vscode-button').count(), 0);
    // No editor to reveal in: findings and blocks show file:line, linked to the file, instead of posting reveal.
    assert.equal(await standalone.locator('.clickable').count(), 0);
    const link = standalone.locator('[data-testid=findings] a.source').first();
    assert.match((await link.getAttribute('href'))!, /^file:\/\/\/.+#L\d+$/);
    assert.match((await link.textContent())!, /^[^/]+:\d+$/);
    // Block sources come from the server's static bounds, which an exported report does not carry.
    assert.equal(await standalone.locator('[data-testid=blocks] a.source').count(), 0);
    assert.deepEqual(violations, []);
    await standalone.close();
  });
});
