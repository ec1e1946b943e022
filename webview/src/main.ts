/**
 * Webview entry (dist/webview/report.js). Restores the last report from state, says `ready`, then renders
 * whatever valid report arrives. In a standalone HTML file the report is embedded as JSON instead.
 */
import {
  assertNever,
  EMBEDDED_COMPARISON_ID,
  EMBEDDED_REPORT_ID,
  EMBEDDED_RUN_ID,
  EMBEDDED_STATIC_BOUNDS_ID,
  isStaticBlockBound,
  isToWebview,
  type StaticBlockBound,
  type ToWebview,
} from '../../core/src/protocol/webview';
import { parseRunFile } from '../../core/src/monitor/run-file';
import type { Thresholds } from '../../core/src/monitor/summary';
import { parseComparison } from '../../core/src/report/comparison';
import { parseReport, type Report } from '../../core/src/report/schema';
import { createHost } from './host';
import { type Rendered, render } from './render';
import { renderComparison } from './render-comparison';
import { renderRun, renderRuns } from './render-run';
import { applyStyles } from './styles';

const host = createHost();
applyStyles(document);
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
let current: Rendered | undefined;

function show(report: Report, staticBounds: readonly StaticBlockBound[] = [], title?: string): void {
  current?.dispose();
  current = render(root, report, staticBounds, (m) => host.post(m), { standalone: host.standalone });
  host.setState({ report, staticBounds: [...staticBounds], ...(title ? { title } : {}) });
}

function showError(message: string): void {
  current?.dispose();
  current = undefined;
  const p = document.createElement('p');
  p.textContent = message;
  root.replaceChildren(p);
}

function handle(message: ToWebview): void {
  switch (message.type) {
    case 'report':
      try {
        // The envelope guard checked the shape of the message; the schema parser checks the report's version.
        show(parseReport(message.report), message.staticBounds ?? [], message.title);
      } catch (e) {
        showError(`Cannot show this report: ${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    case 'runs':
      // Each run's text is parsed (and its version checked) by parseRunFile inside, column by column.
      current?.dispose();
      current = renderRuns(root, message.runs, (run, block) =>
        host.post({ type: 'reveal-block', run, block }),
      );
      host.setState({ runs: message.runs.map((r) => r.id) });
      return;
    case 'clear':
      showError(message.message);
      return;
    default:
      assertNever(message);
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isToWebview(event.data)) handle(event.data);
});

/** Static bounds a standalone page carries; anything malformed is dropped, not trusted. */
function embeddedStaticBounds(): StaticBlockBound[] {
  const text = document.getElementById(EMBEDDED_STATIC_BOUNDS_ID)?.textContent;
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter(isStaticBlockBound) : [];
  } catch {
    return [];
  }
}

const embedded = document.getElementById(EMBEDDED_REPORT_ID);
const comparison = document.getElementById(EMBEDDED_COMPARISON_ID);
const run = document.getElementById(EMBEDDED_RUN_ID);
const saved = host.getState();
if (run?.textContent) {
  try {
    const embeddedRun = JSON.parse(run.textContent) as { text: string; thresholds: Thresholds };
    current = renderRun(root, parseRunFile(embeddedRun.text), embeddedRun.thresholds);
  } catch (e) {
    showError(`Cannot show this run: ${e instanceof Error ? e.message : String(e)}`);
  }
} else if (comparison?.textContent) {
  try {
    current = renderComparison(root, parseComparison(comparison.textContent));
  } catch (e) {
    showError(`Cannot show this comparison: ${e instanceof Error ? e.message : String(e)}`);
  }
} else if (embedded?.textContent) {
  try {
    show(parseReport(embedded.textContent), embeddedStaticBounds());
  } catch (e) {
    showError(`Cannot show this report: ${e instanceof Error ? e.message : String(e)}`);
  }
} else if (saved?.report) {
  try {
    show(parseReport(saved.report), saved.staticBounds ?? []);
  } catch {
    showError('Run an audit to see a report.');
  }
} else {
  showError('Waiting for a report…');
}
host.post({ type: 'ready' });
