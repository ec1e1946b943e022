/**
 * uPlot charts: a log-log line chart per curve and grouped bars of per-block constants. Each chart spans its
 * host and follows it when the panel resizes, and redraws in the new colours when VS Code switches theme.
 */
import uPlot from 'uplot';
import type { Curve } from '../../core/src/report/schema';
import { num } from './dom';
import { themeColor } from './styles';
import { logSplits, tickLabel } from './ticks';
import type { BlockRow } from './view-model';

const SERIES_COLORS: Array<[string, string]> = [
  ['--vscode-charts-blue', '#0969da'],
  ['--vscode-charts-red', '#d1242f'],
  ['--vscode-charts-green', '#1a7f37'],
  ['--vscode-charts-orange', '#bc4c00'],
  ['--vscode-charts-purple', '#8250df'],
  ['--vscode-charts-yellow', '#bf8700'],
];

// Colours are functions: uPlot calls them at every draw, so a redraw after a theme change picks up the new values.
function color(i: number): () => string {
  const [name, fallback] = SERIES_COLORS[i % SERIES_COLORS.length]!;
  return () => themeColor(name, fallback);
}
const foreground = (): string =>
  themeColor('--vscode-charts-foreground', themeColor('--vscode-foreground', '#1f2328'));
const gridColor = (): string => themeColor('--vscode-charts-lines', 'rgba(128,128,128,0.25)');

function shortName(name: string): string {
  const last = name.slice(name.lastIndexOf('_') + 1);
  return last.length > 0 ? last : name;
}

function axes(xLabel: string, yLabel: string): uPlot.Axis[] {
  const grid = { stroke: gridColor, width: 1 };
  return [
    { label: xLabel, stroke: foreground, grid, ticks: grid },
    { label: yLabel, stroke: foreground, grid, ticks: grid, size: 60 },
  ];
}

/** How many labels fit along an axis: one per 70 px across, one per 32 px up. */
function labelsThatFit(u: uPlot, axisIdx: number): number {
  const css = (px: number): number => px / (window.devicePixelRatio || 1);
  const room = axisIdx === 0 ? css(u.bbox.width) / 70 : css(u.bbox.height) / 32;
  return room > 0 ? room : 6;
}

/** Labels only where the grid lines are: decades (or 1-2-5 over a short range), never the minor ticks. */
const logAxis: Pick<uPlot.Axis, 'splits' | 'filter' | 'values'> = {
  splits: (u, axisIdx, min, max) => logSplits(min, max, labelsThatFit(u, axisIdx)),
  // uPlot's log filter blanks the labels of splits it assumes are minor; these splits are all labelled.
  filter: (_u, splits) => splits,
  values: (_u, splits) => splits.map(tickLabel),
};

/**
 * uPlot's linear range, except for all-zero data, which it draws on 0 to 100: read as percent, a curve of
 * fractions that are all 0 looked like a scale of up to 100%. Zeros get 0 to 1 instead.
 */
const linearRange: uPlot.Range.Function = (_u, min, max) => {
  // uPlot passes nulls for a scale with no data, whatever the types say.
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [null, null];
  return min === 0 && max === 0 ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true);
};

/** A log axis cannot show zero or negatives; they become gaps rather than bending the scale. */
function positiveOrNull(v: number | null | undefined, log: boolean): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  return log && v <= 0 ? null : v;
}

/**
 * What a curve's legend shows: the hovered point's values; when nothing is hovered (uPlot passes a null index and
 * would print '--'), each series' last finite point with its x.
 */
function curveLegend(x: readonly number[]): uPlot.Series.Value {
  return (u, raw, seriesIdx, idx) => {
    if (idx !== null) return raw === null || raw === undefined ? '—' : num(raw);
    if (seriesIdx === 0) return 'last points';
    const ys = u.data[seriesIdx] ?? [];
    for (let i = ys.length - 1; i >= 0; i--) {
      const y = ys[i];
      if (typeof y === 'number' && Number.isFinite(y)) return `${num(y)} at ${num(x[i] ?? null)}`;
    }
    return '—';
  };
}

const charts = new Set<uPlot>();
let themeObserver: MutationObserver | undefined;

/** uPlot sets the legend markers' colours once, when it builds the legend: repaint them from the series. */
function recolour(u: uPlot): void {
  u.redraw(false);
  const rows = u.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
  const offset = rows.length === u.series.length ? 0 : 1;
  u.series.forEach((s, i) => {
    const marker = rows[i - offset]?.querySelector<HTMLElement>('.u-marker');
    if (i === 0 || !marker) return;
    const stroke = typeof s.stroke === 'function' ? s.stroke(u, i) : s.stroke;
    const fill = typeof s.fill === 'function' ? s.fill(u, i) : s.fill;
    marker.style.borderColor = String(stroke ?? '');
    marker.style.background = String(fill ?? '');
  });
}

/**
 * VS Code announces a theme change by a new class on <body> (`vscode-light`, `vscode-dark`,
 * `vscode-high-contrast`) and new --vscode-* values on <html>. The page's CSS follows by itself; canvases keep the
 * colours they were drawn in until redrawn.
 */
function followTheme(): void {
  if (themeObserver) return;
  themeObserver = new MutationObserver(() => {
    for (const u of charts) recolour(u);
  });
  themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}

/** A chart drawn into `host` at its width, resized with it, recoloured on theme changes, released on destroy. */
function mount(opts: Omit<uPlot.Options, 'width'>, data: uPlot.AlignedData, host: HTMLElement): uPlot {
  // Resized in the next frame, not inside the observer's callback: the new width changes the host's height
  // (the legend rewraps), which within the callback would be a ResizeObserver loop.
  let frame = 0;
  const resize = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const width = Math.floor(host.clientWidth);
      if (width > 0 && width !== u.width) u.setSize({ width, height: u.height });
    });
  });
  const u = new uPlot(
    {
      ...opts,
      width: Math.max(1, Math.floor(host.clientWidth)),
      hooks: {
        ...opts.hooks,
        destroy: [
          ...(opts.hooks?.destroy ?? []),
          (self) => {
            cancelAnimationFrame(frame);
            resize.disconnect();
            charts.delete(self);
          },
        ],
      },
    },
    data,
    host,
  );
  resize.observe(host);
  charts.add(u);
  followTheme();
  return u;
}

export function curveChart(host: HTMLElement, curve: Curve): uPlot {
  const data: uPlot.AlignedData = [
    curve.x,
    ...curve.series.map((s) => curve.x.map((_, i) => positiveOrNull(s.y[i], curve.logY))),
  ];
  const value = curveLegend(curve.x);
  return mount(
    {
      title: curve.title,
      height: 260,
      scales: {
        x: { time: false, distr: curve.logX ? 3 : 1 },
        y: curve.logY ? { distr: 3 } : { range: linearRange },
      },
      axes: axes(curve.xLabel, curve.yLabel).map((a, i) =>
        (i === 0 ? curve.logX : curve.logY) ? { ...a, ...logAxis } : a,
      ),
      series: [
        { label: curve.xLabel, value },
        ...curve.series.map((s, i) => ({
          label: s.name,
          stroke: color(i),
          width: 2,
          points: { show: true, size: 6 },
          spanGaps: false,
          value,
        })),
      ],
    },
    data,
    host,
  );
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
  // The legend gives the constant itself, not its log10: the hovered block's, else the largest and where.
  const constant: uPlot.Series.Value = (u, raw, seriesIdx, idx) => {
    if (idx !== null) return raw === null || raw === undefined ? '—' : num(10 ** raw);
    const ys = u.data[seriesIdx] ?? [];
    let best: number | undefined;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (typeof y === 'number' && (best === undefined || y > (ys[best] as number))) best = i;
    }
    return best === undefined ? '—' : `largest ${num(10 ** (ys[best] as number))} in ${rows[best]!.name}`;
  };
  return mount(
    {
      title: 'Per-block Lipschitz constants (measured, log10)',
      height: 240,
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, rows.length - 0.5)] } },
      axes: [
        {
          ...axes('block', '')[0],
          splits: () => xs,
          // tfjs names repeat the class (`affine_coupling_AffineCoupling1`): the last part is enough under a bar,
          // slanted so neighbours do not overlap; the table below keeps the full names. Slanted down to the left,
          // ending at their bar, so the last one is not cut off at the right edge.
          values: (_u, splits) => splits.map((i) => shortName(rows[i]?.name ?? '')),
          rotate: 30,
          size: 70,
        },
        { ...axes('', 'log10 of the constant')[1] },
      ],
      series: [
        {
          label: 'block',
          value: (_u, raw, _s, idx) => (idx === null ? 'all' : (rows[raw]?.name ?? '—')),
        },
        {
          label: 'forward',
          stroke: color(0),
          fill: color(0),
          paths: bars({ size: [0.35, 60], align: -1 }),
          points: { show: false },
          value: constant,
        },
        {
          label: 'inverse',
          stroke: color(1),
          fill: color(1),
          paths: bars({ size: [0.35, 60], align: 1 }),
          points: { show: false },
          value: constant,
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
    },
    [xs, rows.map((r) => log(r.measuredForward)), rows.map((r) => log(r.measuredInverse))],
    host,
  );
}
