/** uPlot charts: a log-log line chart per curve and grouped bars of per-block constants. */
import uPlot from 'uplot';
import type { Curve } from '../../core/src/report/schema';
import { themeColor } from './styles';
import type { BlockRow } from './view-model';

const SERIES_COLORS: Array<[string, string]> = [
  ['--vscode-charts-blue', '#0969da'],
  ['--vscode-charts-red', '#d1242f'],
  ['--vscode-charts-green', '#1a7f37'],
  ['--vscode-charts-orange', '#bc4c00'],
  ['--vscode-charts-purple', '#8250df'],
  ['--vscode-charts-yellow', '#bf8700'],
];

function color(i: number): string {
  const [name, fallback] = SERIES_COLORS[i % SERIES_COLORS.length]!;
  return themeColor(name, fallback);
}

function shortName(name: string): string {
  const last = name.slice(name.lastIndexOf('_') + 1);
  return last.length > 0 ? last : name;
}

function axes(xLabel: string, yLabel: string): uPlot.Axis[] {
  const stroke = themeColor('--vscode-charts-foreground', themeColor('--vscode-foreground', '#1f2328'));
  const grid = { stroke: themeColor('--vscode-charts-lines', 'rgba(128,128,128,0.25)'), width: 1 };
  return [
    { label: xLabel, stroke, grid, ticks: grid },
    { label: yLabel, stroke, grid, ticks: grid, size: 60 },
  ];
}

/** Tick labels that stay readable over decades: 1e-4 rather than uPlot's rounded 0. */
function tick(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-2 || a >= 1e4) ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

function logTicks(): Pick<uPlot.Axis, 'values'> {
  return { values: (_u, splits) => splits.map(tick) };
}

function width(host: HTMLElement): number {
  return Math.max(280, Math.min(900, host.clientWidth || 600));
}

/** A log axis cannot show zero or negatives; they become gaps rather than bending the scale. */
function positiveOrNull(v: number | null | undefined, log: boolean): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  return log && v <= 0 ? null : v;
}

export function curveChart(host: HTMLElement, curve: Curve): uPlot {
  const data: uPlot.AlignedData = [
    curve.x,
    ...curve.series.map((s) => curve.x.map((_, i) => positiveOrNull(s.y[i], curve.logY))),
  ];
  const opts: uPlot.Options = {
    title: curve.title,
    width: width(host),
    height: 260,
    scales: { x: { time: false, distr: curve.logX ? 3 : 1 }, y: { distr: curve.logY ? 3 : 1 } },
    axes: axes(curve.xLabel, curve.yLabel).map((a, i) =>
      (i === 0 ? curve.logX : curve.logY) ? { ...a, ...logTicks() } : a,
    ),
    series: [
      { label: curve.xLabel },
      ...curve.series.map((s, i) => ({
        label: s.name,
        stroke: color(i),
        width: 2,
        points: { show: true, size: 6 },
        spanGaps: false,
      })),
    ],
  };
  return new uPlot(opts, data, host);
}

/** Bars of log10 of the measured constants, forward and inverse side by side, one group per block. */
export function blockBars(
  host: HTMLElement,
  rows: readonly BlockRow[],
  onClick: (row: BlockRow) => void,
): uPlot {
  const log = (v: number | null): number | null => (v !== null && v > 0 ? Math.log10(v) : null);
  const xs = rows.map((_, i) => i);
  const bars = uPlot.paths.bars!;
  const opts: uPlot.Options = {
    title: 'Per-block Lipschitz constants (measured, log10)',
    width: width(host),
    height: 240,
    scales: { x: { time: false, range: [-0.5, Math.max(0.5, rows.length - 0.5)] } },
    axes: [
      {
        ...axes('block', '')[0],
        splits: () => xs,
        // tfjs names repeat the class (`affine_coupling_AffineCoupling1`): the last part is enough under a bar,
        // slanted so neighbours do not overlap; the table below keeps the full names.
        values: (_u, splits) => splits.map((i) => shortName(rows[i]?.name ?? '')),
        rotate: -30,
        size: 70,
      },
      { ...axes('', 'log10 constant')[1] },
    ],
    series: [
      { label: 'block' },
      {
        label: 'forward',
        stroke: color(0),
        fill: color(0),
        paths: bars({ size: [0.35, 60], align: -1 }),
        points: { show: false },
      },
      {
        label: 'inverse',
        stroke: color(1),
        fill: color(1),
        paths: bars({ size: [0.35, 60], align: 1 }),
        points: { show: false },
      },
    ],
    cursor: { drag: { x: false, y: false } },
    hooks: {
      ready: [
        (u) =>
          u.over.addEventListener('click', () => {
            const i = u.cursor.idx;
            const row = i === null || i === undefined ? undefined : rows[i];
            if (row) onClick(row);
          }),
      ],
    },
  };
  const data: uPlot.AlignedData = [
    xs,
    rows.map((r) => log(r.measuredForward)),
    rows.map((r) => log(r.measuredInverse)),
  ];
  return new uPlot(opts, data, host);
}
