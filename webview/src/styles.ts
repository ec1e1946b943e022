/** Page styles, themed by VS Code's CSS variables with fallbacks for the standalone file. */
import uplotCss from 'uplot/dist/uPlot.min.css';

const PAGE_CSS = `
:root {
  --ll-fg: var(--vscode-foreground, #1f2328);
  --ll-bg: var(--vscode-editor-background, #ffffff);
  --ll-muted: var(--vscode-descriptionForeground, #656d76);
  --ll-border: var(--vscode-panel-border, #d0d7de);
  --ll-red: var(--vscode-charts-red, #d1242f);
  --ll-yellow: var(--vscode-charts-yellow, #bf8700);
  --ll-green: var(--vscode-charts-green, #1a7f37);
  --ll-blue: var(--vscode-charts-blue, #0969da);
  --ll-link: var(--vscode-textLink-foreground, #0969da);
}
body { color: var(--ll-fg); background: var(--ll-bg); font-family: var(--vscode-font-family, system-ui, sans-serif);
  font-size: var(--vscode-font-size, 13px); margin: 0; padding: 12px 16px; }
header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
header h1 { font-size: 1.3em; margin: 0; }
.subtitle { color: var(--ll-muted); margin: 4px 0 12px; }
.provenance { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 12px; }
.provenance dt { color: var(--ll-muted); } .provenance dd { margin: 0; }
.verdict { font-weight: 600; padding: 2px 8px; border-radius: 10px; border: 1px solid currentColor; }
.verdict.stable { color: var(--ll-green); } .verdict.warnings, .verdict.partial { color: var(--ll-yellow); }
.verdict.unstable, .verdict.failed { color: var(--ll-red); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin-bottom: 12px; }
.card { border: 1px solid var(--ll-border); border-radius: 4px; padding: 8px; }
.card .label { color: var(--ll-muted); font-size: 0.9em; }
.card .value { font-size: 1.4em; font-variant-numeric: tabular-nums; }
.card.bad .value { color: var(--ll-red); }
section { margin: 12px 0; }
/* Runs compared side by side: equal columns that may shrink below their content (tables scroll, charts resize). */
.runs { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr); gap: 16px; }
.run-label { font-size: 0.9em; overflow-wrap: anywhere; }
section h2 { font-size: 1.05em; margin: 0 0 6px; }
.chart { min-height: 200px; }
/* A table too wide for the panel scrolls inside its own box, never the page. */
.table-scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid var(--ll-border);
  font-variant-numeric: tabular-nums; }
thead th { font-weight: 600; vertical-align: bottom; }
th[colspan] { text-align: center; border-bottom-style: dashed; }
td.number { white-space: nowrap; }
/* Names and proofs are the long cells: they wrap (names at <wbr>s between their words) so the numbers need not. */
td.name, td.prose { overflow-wrap: break-word; }
td.prose { min-width: 9em; }
details.bound-source summary { cursor: pointer; }
details.bound-source[open] summary { color: var(--ll-muted); }
tr.clickable { cursor: pointer; } tr.clickable:hover, li.clickable:hover { background: var(--vscode-list-hoverBackground, #f0f3f6); }
ul.findings { list-style: none; padding: 0; margin: 0; }
ul.findings li { padding: 4px 6px; border-bottom: 1px solid var(--ll-border); }
li.clickable { cursor: pointer; }
.sev { font-weight: 600; margin-right: 6px; } .sev.error { color: var(--ll-red); } .sev.warning { color: var(--ll-yellow); }
.sev.info { color: var(--ll-blue); }
.muted { color: var(--ll-muted); }
a.source { color: var(--ll-link); font-size: 0.9em; }
/* uPlot's 18 px bold title outsized the page's own headings: titles read as section headings (h2) instead. */
.uplot { font-family: inherit; width: auto; }
.uplot .u-title { font-size: 1.05em; font-weight: 600; text-align: left; }
.u-legend { color: var(--ll-fg); font-size: 0.95em; }
.u-legend .u-value { font-variant-numeric: tabular-nums; }
`;

/** Adopts the styles once; constructable stylesheets are not inline styles, so CSP has nothing to object to. */
export function applyStyles(doc: Document): void {
  const sheets = [uplotCss, PAGE_CSS].map((text) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    return sheet;
  });
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, ...sheets];
}

/** A theme colour as a concrete value: canvas drawing cannot use var(). */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
