/**
 * Renders a training monitor's run (`lipschitz-lens monitor --html`) in the report's look: per block the latest
 * lower bounds and the first step a threshold was crossed, the forward and inverse lower bounds over steps on log
 * axes, the model's reconstruction error by input scale over steps, and the alerts the monitor raised.
 */
import type uPlot from 'uplot';
import type { RunFile } from '../../core/src/monitor/run-file';
import {
  blockCurve,
  reconstructionCurve,
  summarizeRun,
  type Thresholds,
} from '../../core/src/monitor/summary';
import { curveChart } from './charts';
import { el, num } from './dom';
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

export function renderRun(root: HTMLElement, run: RunFile, thresholds: Thresholds): Rendered {
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
  for (const b of s.blocks)
    table.append(
      el(
        'tr',
        { 'data-block': b.name },
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
  root.append(el('section', {}, table));
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
  if (run.alerts.length === 0) list.append(el('li', { class: 'muted' }, 'The monitor raised no alert.'));
  root.append(el('section', {}, el('h2', {}, 'Alerts'), list));
  return {
    charts,
    dispose: () => {
      for (const chart of charts) chart.destroy();
    },
  };
}
