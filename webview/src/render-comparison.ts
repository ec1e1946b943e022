/**
 * Renders a comparison of trained flows (`lipschitz-lens reproduce`) in the report's look: the table the paper
 * compares, reconstruction error against input scale per flow, the training losses, and each flow's findings.
 */
import type uPlot from 'uplot';
import {
  brokenShare,
  type Comparison,
  comparisonRows,
  errorVsScale,
  inverseOffDataOverSteps,
  inverseOverSteps,
  reconstructionOverSteps,
} from '../../core/src/report/comparison';
import type { Curve } from '../../core/src/report/schema';
import { curveChart } from './charts';
import { el, num, scrollBox } from './dom';
import type { Rendered } from './render';

const COLUMNS: Array<[string, string]> = [
  ['flow', ''],
  ['test NLL', 'held-out negative log-likelihood per dimension, nats'],
  ['error on data', 'largest relative reconstruction error |F^-1(F(x)) - x| / |x| on held-out points'],
  ['inside data range', "on inputs within the data's per-coordinate [min, max]"],
  ['fails from scale', 'smallest input scale (× the data) whose error crosses the threshold'],
  ['worst error', 'largest error over the sweep; broken: some input gave NaN/Inf'],
  ['inverse Lipschitz', 'largest inverse Jacobian norm measured at the data'],
  ['memory-saving gradient error', 'input gradients from activations rebuilt by the inverse, relative error'],
  ['findings', 'errors / warnings of the audit'],
];

function lossCurve(c: Comparison): Curve {
  const steps = [...new Set(c.flows.flatMap((f) => f.training.losses.map(([s]) => s)))].sort((a, b) => a - b);
  return {
    id: 'comparison-training-loss',
    title: 'Training loss',
    xLabel: 'step',
    yLabel: 'NLL per dimension (nats)',
    logX: false,
    logY: false,
    x: steps.map((s) => s + 1),
    series: c.flows.map((f) => ({
      name: f.id,
      y: steps.map((s) => f.training.losses.find(([step]) => step === s)?.[1] ?? null),
    })),
  };
}

export function renderComparison(root: HTMLElement, c: Comparison): Rendered {
  root.replaceChildren();
  const charts: uPlot[] = [];
  root.append(
    el('header', {}, el('h1', {}, c.title)),
    el(
      'div',
      { class: 'subtitle' },
      `${c.data.description}. ${c.data.train} training and ${c.data.test} held-out points; ` +
        `${c.settings.steps} Adam steps (batch ${c.settings.batch}, learning rate ${c.settings.learningRate}), ` +
        `seed ${c.settings.seed}, ${c.settings.backend}; probes on ${c.settings.probePoints} held-out points; ` +
        `${(c.durationMs / 1000).toFixed(0)} s.`,
    ),
  );
  const table = el(
    'table',
    { 'data-testid': 'comparison' },
    el('tr', {}, ...COLUMNS.map(([h, title]) => el('th', title ? { title } : {}, h))),
  );
  for (const r of comparisonRows(c)) {
    const worst = r.worstError === 'broken' ? 'broken (NaN/Inf)' : num(r.worstError);
    table.append(
      el(
        'tr',
        { 'data-flow': r.id },
        ...[
          r.title,
          num(r.testNll),
          num(r.dataError),
          num(r.inRangeError),
          r.firstFailingScale === null ? 'none' : `${r.firstFailingScale}x`,
          worst,
          num(r.inverseLipschitz),
          num(r.memoryGradientError),
          `${r.errors} / ${r.warnings}`,
        ].map((v, i) => el('td', { class: i === 0 ? 'name' : 'number' }, v)),
      ),
    );
  }
  root.append(el('section', {}, scrollBox(table)));
  const monitored = c.flows.some((f) => f.training.monitor !== undefined);
  const offData = c.flows.some((f) => f.training.monitor?.inverseOffData !== undefined);
  for (const curve of [
    errorVsScale(c),
    brokenShare(c),
    ...(monitored ? [inverseOverSteps(c)] : []),
    ...(offData ? [inverseOffDataOverSteps(c)] : []),
    ...(monitored ? [reconstructionOverSteps(c)] : []),
    lossCurve(c),
  ]) {
    const host = el('div', { class: 'chart', 'data-chart': curve.id });
    root.append(el('section', {}, host));
    charts.push(curveChart(host, curve));
  }
  for (const f of c.flows) {
    const section = el('section', { 'data-flow-details': f.id }, el('h2', {}, f.title));
    section.append(el('p', { class: 'muted' }, f.description));
    if (f.training.stopped) section.append(el('p', {}, `Training stopped: ${f.training.stopped}.`));
    const list = el('ul', { class: 'findings' });
    for (const x of f.findings)
      list.append(
        el(
          'li',
          { 'data-severity': x.severity },
          el('span', { class: `sev ${x.severity}` }, x.severity),
          `${x.code}: ${x.message}`,
        ),
      );
    if (f.findings.length === 0) list.append(el('li', { class: 'muted' }, 'No findings.'));
    section.append(list);
    root.append(section);
  }
  return {
    charts,
    dispose: () => {
      for (const chart of charts) chart.destroy();
    },
  };
}
