/**
 * A comparison of several trained flows (`lipschitz-lens reproduce`): per flow its training, its held-out
 * likelihood, the probes' results and findings. Versioned on its own; the webview renders it as the report's
 * sibling page, and the CLI prints its table.
 */
import {
  checkFindings,
  checkProbes,
  type Curve,
  type Figure,
  type Finding,
  type ProbeResult,
  ReportParseError,
} from './schema';

export const COMPARISON_VERSION = 1;

export interface ComparedFlow {
  id: string;
  title: string;
  description: string;
  training: {
    steps: number;
    seconds: number;
    /** (step, training loss per dimension in nats; NaN as null), every few steps. */
    losses: Array<[number, number | null]>;
    /** Set when training stopped early: a non-finite loss, a thrown error. */
    stopped?: string;
    /** What the training monitor recorded while it trained (absent in comparisons made before it existed). */
    monitor?: MonitoredTraining;
  };
  /** Held-out negative log-likelihood per dimension, in nats; null when not finite. */
  testNll: number | null;
  probes: ProbeResult[];
  findings: Finding[];
}

/**
 * Per measurement of the training monitor (docs/monitor.md): the step, and the largest over the flow's blocks of
 * the inverse Lipschitz lower bound at the probe points (null: NaN/Inf), a lower bound on some block's inverse
 * constant, never a bound from above.
 */
export interface MonitoredTraining {
  /** The run file, relative to the comparison's folder. */
  runFile: string;
  steps: number[];
  inverseLowerBound: Array<number | null>;
  /**
   * The same with the probe points scaled before the model by `offDataScales` (the monitor's inverseScales other
   * than 1); absent when none was set.
   */
  inverseOffData?: Array<number | null>;
  offDataScales?: number[];
  /** The model's largest reconstruction error over the monitor's input scales (null: NaN/Inf somewhere). */
  reconstruction: Array<number | null>;
  /** The monitor's share of the training's wall time. */
  overhead: number;
}

export interface Comparison {
  version: typeof COMPARISON_VERSION;
  kind: 'comparison';
  tool: 'lipschitz-lens';
  title: string;
  createdAt: string;
  durationMs: number;
  data: { description: string; dim: number; train: number; test: number };
  settings: {
    seed: number;
    steps: number;
    batch: number;
    learningRate: number;
    backend: string;
    /** Held-out points the probes ran on. */
    probePoints: number;
    scales: number[];
  };
  flows: ComparedFlow[];
}

/** One row of the comparison table: the figures the paper compares, null where not measured or not finite. */
export interface ComparisonRow {
  id: string;
  title: string;
  testNll: number | null;
  /** Largest relative reconstruction error on held-out data. */
  dataError: number | null;
  /** ... on inputs inside the data's range (uniform in its box, between data points). */
  inRangeError: number | null;
  /** Smallest sweep scale whose error crosses the threshold; null when none did. */
  firstFailingScale: number | null;
  /** Largest error over the sweep; `broken` when some input gave NaN/Inf. */
  worstError: number | 'broken' | null;
  inverseLipschitz: number | null;
  memoryGradientError: number | null;
  errors: number;
  warnings: number;
}

function flowFigure(flow: ComparedFlow, probe: string, id: string): Figure | undefined {
  return flow.probes.find((p) => p.id === probe)?.figures.find((f) => f.id === id);
}

function figureOf(flow: ComparedFlow, probe: string, id: string): number | null {
  return flowFigure(flow, probe, id)?.value ?? null;
}

export function comparisonRows(c: Comparison): ComparisonRow[] {
  return c.flows.map((f) => {
    const worst = flowFigure(f, 'reconstruction', 'ood-max');
    return {
      id: f.id,
      title: f.title,
      testNll: f.testNll,
      dataError: figureOf(f, 'reconstruction', 'data-max'),
      inRangeError: figureOf(f, 'reconstruction', 'in-range-max'),
      firstFailingScale: figureOf(f, 'reconstruction', 'first-failing-scale'),
      worstError: worst?.nonFinite !== undefined ? 'broken' : (worst?.value ?? null),
      inverseLipschitz: figureOf(f, 'inverse-lipschitz', 'inverse-lipschitz'),
      memoryGradientError: figureOf(f, 'memory-backprop', 'gradient-error'),
      errors: f.findings.filter((x) => x.severity === 'error').length,
      warnings: f.findings.filter((x) => x.severity === 'warning').length,
    };
  });
}

type Cell = string | number | null;

/**
 * One series per flow over the comparison's scales, from each flow's reconstruction sweep table: `at` reduces the
 * sweep's rows at one scale (one per input kind) to a point, given the named columns' indices.
 */
function sweepSeries(
  c: Comparison,
  columns: readonly string[],
  at: (rows: Cell[][], index: number[]) => number | null,
): Curve['series'] {
  return c.flows.flatMap((f) => {
    const table = f.probes.find((p) => p.id === 'reconstruction')?.tables.find((t) => t.id === 'sweep');
    if (table === undefined) return [];
    const scale = table.columns.indexOf('scale');
    const index = columns.map((n) => table.columns.indexOf(n));
    return [
      {
        name: f.id,
        y: c.settings.scales.map((s) => {
          const rows = table.rows.filter((r) => r[scale] === s);
          return rows.length === 0 ? null : at(rows, index);
        }),
      },
    ];
  });
}

/**
 * Reconstruction error against input scale, one series per flow: at each scale the largest error over the
 * sweep's input kinds (the data scaled, uniform and structured noise), the paper's Fig. 1. A scale where some
 * input gave NaN/Inf is null, drawn as a gap: a flow whose inverse broke shows where its line stops.
 */
export function errorVsScale(c: Comparison): Curve {
  return {
    id: 'comparison-error-vs-scale',
    title: 'Reconstruction error vs input scale (a line stops where the inverse gave NaN/Inf)',
    xLabel: 'input scale (× the data)',
    yLabel: 'max relative error',
    logX: true,
    logY: true,
    x: c.settings.scales,
    series: sweepSeries(c, ['max_error'], (rows, [max]) => {
      const cells = rows.map((r) => r[max!]);
      return cells.every((v): v is number => typeof v === 'number') ? Math.max(...cells) : null;
    }),
  };
}

/**
 * The share of the sweep's inputs whose round trip gave NaN/Inf, per flow and scale (in percent): where the error
 * curve has a gap, this says how much of the input broke there.
 */
export function brokenShare(c: Comparison): Curve {
  return {
    id: 'comparison-broken-share',
    title: 'Inputs whose inverse gave NaN/Inf',
    xLabel: 'input scale (× the data)',
    yLabel: '% of inputs',
    logX: true,
    logY: false,
    x: c.settings.scales,
    series: sweepSeries(c, ['nan_rows'], (rows, [nan]) => {
      const broken = rows.reduce((sum, r) => sum + Number(r[nan!]), 0);
      return (100 * broken) / (rows.length * c.settings.probePoints);
    }),
  };
}

/** The steps the monitor measured in any flow, in order. */
function monitoredSteps(c: Comparison): number[] {
  return [...new Set(c.flows.flatMap((f) => f.training.monitor?.steps ?? []))].sort((a, b) => a - b);
}

function monitoredSeries(
  c: Comparison,
  steps: number[],
  values: (m: MonitoredTraining) => Array<number | null>,
): Curve['series'] {
  return c.flows.flatMap((f) => {
    const m = f.training.monitor;
    if (m === undefined) return [];
    const v = values(m);
    return [{ name: f.id, y: steps.map((s) => v[m.steps.indexOf(s)] ?? null) }];
  });
}

/** The monitored inverse lower bound over training steps, one series per flow. */
export function inverseOverSteps(c: Comparison): Curve {
  const steps = monitoredSteps(c);
  return {
    id: 'comparison-inverse-over-steps',
    title: 'Inverse Lipschitz lower bound during training (largest over blocks, at the probe points)',
    xLabel: 'step',
    yLabel: 'lower bound on Lip(F^-1)',
    logX: false,
    logY: true,
    x: steps,
    series: monitoredSeries(c, steps, (m) => m.inverseLowerBound),
  };
}

/** The monitored inverse lower bound off the data over training steps, one series per flow. */
export function inverseOffDataOverSteps(c: Comparison): Curve {
  const steps = monitoredSteps(c);
  const scales = [...new Set(c.flows.flatMap((f) => f.training.monitor?.offDataScales ?? []))];
  // Series of flows measured without off-data scales stay empty (gaps).
  return {
    id: 'comparison-inverse-off-data-over-steps',
    title: `Inverse Lipschitz lower bound during training at ${scales.map((s) => `${s}x`).join(', ')} the data (largest over blocks; a gap: NaN/Inf)`,
    xLabel: 'step',
    yLabel: 'lower bound on Lip(F^-1)',
    logX: false,
    logY: true,
    x: steps,
    series: monitoredSeries(c, steps, (m) => m.inverseOffData ?? []),
  };
}

/**
 * The monitored reconstruction error over training steps (worst over the monitor's input scales), one series per
 * flow: a line stops at the step from which some scale gave NaN/Inf.
 */
export function reconstructionOverSteps(c: Comparison): Curve {
  const steps = monitoredSteps(c);
  return {
    id: 'comparison-reconstruction-over-steps',
    title:
      "Reconstruction error during training, worst over the monitor's input scales (a line stops at NaN/Inf)",
    xLabel: 'step',
    yLabel: 'max relative error',
    logX: false,
    logY: true,
    x: steps,
    series: monitoredSeries(c, steps, (m) => m.reconstruction),
  };
}

function need(cond: boolean, what: string): void {
  if (!cond) throw new ReportParseError(`invalid comparison: ${what}`);
}

/** Validates a comparison read from JSON; the version is checked first, so a newer one is refused by name. */
export function parseComparison(input: string | unknown): Comparison {
  let value: unknown;
  try {
    value = typeof input === 'string' ? JSON.parse(input) : input;
  } catch (e) {
    throw new ReportParseError(`comparison is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  need(typeof value === 'object' && value !== null && !Array.isArray(value), 'not an object');
  const c = value as Record<string, unknown>;
  if (c.version !== COMPARISON_VERSION)
    throw new ReportParseError(
      `unsupported comparison version ${JSON.stringify(c.version ?? null)} (this reader knows ${COMPARISON_VERSION})`,
    );
  need(c.kind === 'comparison' && c.tool === 'lipschitz-lens', 'kind and tool');
  const settings = c.settings as Record<string, unknown> | undefined;
  need(
    typeof settings === 'object' && settings !== null && Array.isArray(settings.scales),
    'settings.scales',
  );
  need(Array.isArray(c.flows), 'flows must be an array');
  for (const f of c.flows as Array<Record<string, unknown>>) {
    need(typeof f === 'object' && f !== null && typeof f.id === 'string', 'flow without id');
    need(f.testNll === null || typeof f.testNll === 'number', `flow ${String(f.id)} testNll`);
    checkProbes(f.probes);
    checkFindings(f.findings);
  }
  return value as Comparison;
}
