/**
 * The report page, for the webview panel, the extension's HTML export and the CLI's audit report: one UI
 * everywhere. Pure string building (node:crypto only, no vscode), so the client, the CLI and the browser test
 * all serve exactly the same page.
 *
 * CSP: nothing loads unless allowed; scripts and style elements need the per-load nonce. The bundle styles
 * itself through constructable stylesheets (CSSOM), which CSP does not restrict, so no 'unsafe-inline'.
 */
import { randomBytes } from 'node:crypto';
import {
  EMBEDDED_COMPARISON_ID,
  EMBEDDED_REPORT_ID,
  EMBEDDED_RUN_ID,
  EMBEDDED_STATIC_BOUNDS_ID,
  type StaticBlockBound,
} from '../protocol/webview';
import type { Thresholds } from '../monitor/summary';
import type { Comparison } from './comparison';
import type { Report } from './schema';

export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export interface WebviewPageOptions {
  nonce: string;
  /** `webview.cspSource`: the origin asWebviewUri resources come from. */
  cspSource: string;
  /** `asWebviewUri` of dist/webview/report.js. */
  scriptUri: string;
  title?: string;
}

export function csp(nonce: string, cspSource?: string): string {
  const src = cspSource ? `${cspSource} ` : '';
  const directives = [
    "default-src 'none'",
    `img-src ${src}data:`,
    `style-src ${src}'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ];
  if (cspSource) directives.push(`font-src ${cspSource}`);
  return directives.join('; ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(head: string, body: string, title: string, policy: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
${head}
</head>
<body>
<div id="app" aria-live="polite"></div>
${body}
</body>
</html>`;
}

/** The webview panel's HTML: the bundle loads from the extension, the report arrives by postMessage. */
export function webviewHtml(o: WebviewPageOptions): string {
  const body = `<script nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptUri)}"></script>`;
  return page('', body, o.title ?? 'Lipschitz Lens report', csp(o.nonce, o.cspSource));
}

/**
 * JSON inside a script element: `<` escaped so no `</script>` or `<!--` in a model name can end the element.
 * A `type="application/json"` script is data, never executed.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface StandaloneOptions {
  nonce: string;
  /** Contents of dist/webview/report.js, inlined so the file works offline and alone. */
  script: string;
  report: Report;
  /** The static bound calculus per top-level block, shown beside the measured values. */
  staticBounds?: StaticBlockBound[];
  title?: string;
}

const jsonScript = (id: string, value: unknown): string =>
  `<script type="application/json" id="${id}">${embedJson(value)}</script>`;

/** The page around embedded data and the inlined bundle, which renders whichever data it finds. */
function selfContained(nonce: string, script: string, data: string, title: string): string {
  // `</script` inside the bundle text would end the element early; esbuild output escapes it, but be safe.
  const code = script.replace(/<\/script/gi, '<\\/script');
  const body = `${data}\n<script nonce="${escapeHtml(nonce)}">${code}</script>`;
  return page('', body, title, csp(nonce));
}

/** A self-contained HTML file: the same bundle, the report embedded as JSON, no network access at all. */
export function standaloneHtml(o: StandaloneOptions): string {
  const data =
    jsonScript(EMBEDDED_REPORT_ID, o.report) +
    (o.staticBounds ? `\n${jsonScript(EMBEDDED_STATIC_BOUNDS_ID, o.staticBounds)}` : '');
  return selfContained(o.nonce, o.script, data, o.title ?? `Lipschitz Lens report: ${o.report.model.name}`);
}

/** The comparison of `lipschitz-lens reproduce` as a self-contained HTML file, in the report's look. */
export function standaloneComparisonHtml(o: {
  nonce: string;
  script: string;
  comparison: Comparison;
}): string {
  return selfContained(
    o.nonce,
    o.script,
    jsonScript(EMBEDDED_COMPARISON_ID, o.comparison),
    o.comparison.title,
  );
}

/** What a run page embeds: the run file's complete lines (parsed by the page) and the thresholds applied. */
export interface EmbeddedRun {
  text: string;
  thresholds: Thresholds;
}

/** A training monitor's run (`lipschitz-lens monitor --html`) as a self-contained HTML file. */
export function standaloneRunHtml(o: {
  nonce: string;
  script: string;
  run: EmbeddedRun;
  model: string;
}): string {
  return selfContained(
    o.nonce,
    o.script,
    jsonScript(EMBEDDED_RUN_ID, o.run),
    `Lipschitz Lens training monitor: ${o.model}`,
  );
}
