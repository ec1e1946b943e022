/**
 * The report webview in headless Chromium under the panel's strict CSP: the bundle renders a real report,
 * charts draw, a click posts `reveal`, and nothing violates the policy. Needs Debian's chromium
 * (scripts/ensure-chromium.sh installs it in CI).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { FromWebview, ToWebview } from '../../core/src/protocol/webview';
import { csp, makeNonce, standaloneHtml, webviewHtml } from '../../core/src/report/page';
import { loadWebviewBundle } from '../../core/src/report/webview-bundle';
import { MODEL_FILE, report, staticBounds } from './fixtures/report';

const CHROMIUM = '/usr/bin/chromium';
const root = join(__dirname, '..', '..');
const out = join(root, 'test-output');
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.log(`# SKIP webview browser test: ${CHROMIUM} is absent (run scripts/ensure-chromium.sh).`);

/** Stands in for VS Code's API and records what the page posts and any CSP violation. */
const SHIM = `
window.__posted = []; window.__violations = []; var __state;
document.addEventListener('securitypolicyviolation', function (e) { window.__violations.push(e.violatedDirective + ' ' + e.blockedURI); });
window.acquireVsCodeApi = function () { return {
  postMessage: function (m) { window.__posted.push(m); },
  getState: function () { return __state; },
  setState: function (s) { __state = s; } }; };
`;

interface PageGlobals {
  __posted: FromWebview[];
  __violations: string[];
}
// Page functions are serialized into the browser, so they cannot close over helpers: each casts in place.

describe('report webview in Chromium', { skip, timeout: 120_000 }, () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let origin = '';
  let script = '';

  before(async () => {
    mkdirSync(out, { recursive: true });
    // The bundle the CLI inlines: dist/webview/report.js when fresh, else built in memory from webview/src.
    script = await loadWebviewBundle();
    const nonce = makeNonce();
    server = createServer((req, res) => {
      const policy = csp(nonce, origin);
      if (req.url === '/report.js' || req.url === '/shim.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(req.url === '/shim.js' ? SHIM : script);
        return;
      }
      const html = webviewHtml({ nonce, cspSource: origin, scriptUri: `${origin}/report.js` }).replace(
        '<script nonce=',
        `<script nonce="${nonce}" src="${origin}/shim.js"></script>\n<script nonce=`,
      );
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': policy });
      res.end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    await page.goto(`${origin}/`);
  });

  after(async () => {
    await browser?.close();
    server?.close();
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
