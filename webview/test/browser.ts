/**
 * Headless Chromium serving the report webview as the panel does (the panel's HTML and strict CSP, the bundle as
 * a separate script), with a shim standing in for VS Code's API that records what the page posts and any CSP
 * violation. Needs Debian's chromium (scripts/ensure-chromium.sh installs it in CI).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import type { FromWebview } from '../../core/src/protocol/webview';
import { csp, makeNonce, webviewHtml } from '../../core/src/report/page';
import { loadWebviewBundle } from '../../core/src/report/webview-bundle';

const CHROMIUM = '/usr/bin/chromium';
export const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;

const SHIM = `
window.__posted = []; window.__violations = []; var __state;
document.addEventListener('securitypolicyviolation', function (e) { window.__violations.push(e.violatedDirective + ' ' + e.blockedURI); });
window.acquireVsCodeApi = function () { return {
  postMessage: function (m) { window.__posted.push(m); },
  getState: function () { return __state; },
  setState: function (s) { __state = s; } }; };
`;

/** What the shim records on `window`. Page functions are serialized into the browser: each casts in place. */
export interface PageGlobals {
  __posted: FromWebview[];
  __violations: string[];
}

export interface WebviewServer {
  browser: Browser;
  /** The panel page's address. */
  origin: string;
  /** The bundle the CLI inlines into standalone pages. */
  script: string;
  close(): Promise<void>;
}

export async function startWebview(): Promise<WebviewServer> {
  // The bundle the CLI inlines: dist/webview/report.js when fresh, else built in memory from webview/src.
  const script = await loadWebviewBundle();
  const nonce = makeNonce();
  let origin = '';
  const server: Server = createServer((req, res) => {
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
  const browser = await chromium.launch({
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
  return {
    browser,
    origin,
    script,
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}
