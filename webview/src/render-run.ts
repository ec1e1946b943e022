/**
 * Renders a training monitor's run (`lipschitz-lens monitor --html`, and the editor's Training monitor view) in
 * the report's look: per block the latest lower bounds and the first step a threshold was crossed, the forward
 * and inverse lower bounds over steps on log axes, the model's reconstruction error by input scale over steps,
 * and the alerts the monitor raised. In the editor a block's row reveals the block's source; several runs are
 * shown side by side, one column each.
 */
import type uPlot from 'uplot';
import { parseRunFile, type RunFile } from '../../core/src/monitor/run-file';
import {
  blockCurve,
  reconstructionCurve,
  summarizeRun,
  thresholdsOf,
  type Thresholds,
} from '../../core/src/monitor/summary';
import { curveChart } from './charts';
import type { RunText } from '../../core/src/protocol/webview';
import { el, num, scrollBox } from './dom';
import type { Rendered } from './render';

const COLUMNS: Array<[string, string]> = [
  ['block', ''],
  ['step', 'step of the latest measurement of this block'],
  ['forward >=', "lower bound on the block's Lipschitz constant, measured at the probe points"],
  ['inverse >=', "lower bound on the inverse's Lipschitz constant, measured at the probe points"],
  ['inverse at start', 'the same in the first measurement'],
  [
    'off data >=',
    'the largest inverse lower bound with the probe points scaled before the model (see the subtitle)',
  ],
  ['off data at start', 'the same in the first measurement'],
  ['round trip', "largest relative error |F^-1(F(x)) - x| / |x| over the block's inputs"],
  ['gradient error', 'memory-saving blocks: input gradient from rebuilt activations, relative error'],
  ['NaN/Inf rows', 'probe rows whose output or round trip was not finite'],
  ['inverse crossed', 'first step the inverse lower bound exceeded the threshold'],
];

/** Called with a block's name when its row is clicked; absent on a standalone page (no editor to reveal in). */
export type OnBlock = (block: string) => void;

export function renderRun(
  root: HTMLElement,
  run: RunFile,
  thresholds: Thresholds,
  onBlock?: OnBlock,
): Rendered {
  root.replaceChildren();
  const charts: uPlot[] = [];
  const s = summarizeRun(run, thresholds);
  const h = run.header;
  root.append(
    el('header', {}, el('h1', {}, `Training monitor: ${h.model}`)),
    el(
      'div',
      { class: 'subtitle' },
      `Started ${h.startedAt} on ${h.backend}; ${s.measurements} measurements, last at step ${s.lastStep ?? '-'}` +
        `${s.ended ? ', run ended' : ', run still going when read'}` +
        (s.overhead === null ? '' : `; monitor overhead ${(100 * s.overhead).toFixed(1)}% of wall time`) +
        `. Probe batch of ${h.settings.points} points, ${h.settings.iterations} warm-started power steps per block ` +
        'and measurement: the Lipschitz figures are lower bounds at those points, not bounds from above. Off the ' +
        `data: the points scaled by ${
          h.settings.inverseScales
            .filter((x) => x !== 1)
            .map((x) => `${x}x`)
            .join(', ') || 'none'
        } before the model.`,
    ),
  );
  const verdict = s.crossed
    ? `Threshold crossed (inverse ${thresholds.inverse}, reconstruction ${thresholds.reconstruction}).`
    : `No threshold crossed (inverse ${thresholds.inverse}, reconstruction ${thresholds.reconstruction}).`;
  root.append(el('p', { 'data-testid': 'run-verdict' }, verdict));
  const table = el(
    'table',
    { 'data-testid': 'run-blocks' },
    el('tr', {}, ...COLUMNS.map(([name, title]) => el('th', title ? { title } : {}, name))),
  );
  for (const b of s.blocks) {
    const row = table.appendChild(
      el(
        'tr',
        onBlock
          ? { 'data-block': b.name, class: 'clickable', title: `Go to ${b.name} in the source` }
          : { 'data-block': b.name },
        ...[
          b.monitored ? b.name : `${b.name} (no trainable weights: first record only)`,
          b.step === null ? '-' : String(b.step),
          num(b.forward),
          num(b.inverse),
          num(b.initialInverse),
          num(b.inverseOffData),
          num(b.initialInverseOffData),
          num(b.roundTrip),
          num(b.gradientError),
          String(b.nonFinite),
          b.inverseCrossedAt === null
            ? '-'
            : `step ${b.inverseCrossedAt}${b.inverseCrossedScale === 1 ? '' : ` (at ${b.inverseCrossedScale}x)`}`,
        ].map((v) => el('td', {}, v)),
      ),
    );
    if (onBlock) row.addEventListener('click', () => onBlock(b.name));
  }
  root.append(el('section', {}, scrollBox(table)));
  const curves = [
    blockCurve(run, 'inverse'),
    blockCurve(run, 'inverse-off-data'),
    blockCurve(run, 'forward'),
    reconstructionCurve(run),
  ];
  for (const curve of curves) {
    const host = el('div', { class: 'chart', 'data-chart': curve.id });
    root.append(el('section', {}, host));
    charts.push(curveChart(host, curve));
  }
  const list = el('ul', { class: 'findings', 'data-testid': 'run-alerts' });
  for (const a of run.alerts)
    list.append(
      el('li', { 'data-severity': 'warning' }, el('span', { class: 'sev warning' }, 'alert'), a.message),
    );
  for (const e of run.errors)
    list.append(
      el(
        'li',
        { 'data-severity': 'error' },
        el('span', { class: 'sev error' }, 'failed'),
        `The measurement after step ${e.step} failed: ${e.message}`,
      ),
    );
  if (run.end?.reason === 'failed' && run.errors.length > 0)
    list.append(
      el('li', { 'data-severity': 'error' }, 'The monitor stopped measuring after repeated failures.'),
    );
  if (run.alerts.length === 0 && run.errors.length === 0)
    list.append(el('li', { class: 'muted' }, 'The monitor raised no alert.'));
  root.append(el('section', {}, el('h2', {}, 'Alerts'), list));
  return {
    charts,
    dispose: () => {
      for (const chart of charts) chart.destroy();
    },
  };
}

/**
 * Several runs side by side, one column each, every column rendered as a single run is. A run that cannot be
 * read yet (no complete header line: a run that is starting) or at all says so in its column.
 */
export function renderRuns(
  root: HTMLElement,
  runs: readonly RunText[],
  onBlock?: (run: string, block: string) => void,
): Rendered {
  root.replaceChildren();
  const grid = root.appendChild(el('div', { class: 'runs', 'data-testid': 'runs' }));
  const parts: Rendered[] = [];
  for (const r of runs) {
    const column = grid.appendChild(el('div', { class: 'run', 'data-run': r.id }));
    try {
      const run = parseRunFile(r.text);
      parts.push(
        renderRun(
          column,
          run,
          r.thresholds ?? thresholdsOf(run),
          onBlock && ((block) => onBlock(r.id, block)),
        ),
      );
      column.prepend(el('div', { class: 'run-label muted' }, r.label));
    } catch (e) {
      column.replaceChildren(
        el('div', { class: 'run-label muted' }, r.label),
        el('p', {}, `Cannot show this run yet: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
  }
  return {
    charts: parts.flatMap((p) => p.charts),
    dispose: () => {
      for (const p of parts) p.dispose();
    },
  };
}
