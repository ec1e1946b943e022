/**
 * What a run file says, per block: the latest estimates, how far they moved since the first measurement, and the
 * first step each threshold was crossed. The thresholds are the reader's (the CLI's flags), not necessarily the
 * monitor's, so a CI job can be stricter than the training script. tfjs-free: the CLI and the webview use it.
 */
import type { Curve } from '../report/schema';
import type { BlockMeasurement, RunError, RunFile, RunMeasurement } from './run-file';

export interface Thresholds {
  inverse: number;
  reconstruction: number;
}

export interface BlockSummary {
  name: string;
  monitored: boolean;
  /** Step of the latest measurement of this block. */
  step: number | null;
  forward: number | null;
  inverse: number | null;
  /** The first measured inverse lower bound, for "up from". */
  initialInverse: number | null;
  /** The largest inverse lower bound at the monitor's scales off the data (inverseOffData), latest and first. */
  inverseOffData: number | null;
  initialInverseOffData: number | null;
  roundTrip: number | null;
  gradientError: number | null;
  /** Probe rows whose output was NaN/Inf in the latest measurement. */
  nonFinite: number;
  /** First step whose inverse lower bound (at the data or off it) crossed the threshold, and at which scale. */
  inverseCrossedAt: number | null;
  inverseCrossedScale: number | null;
}

export interface RunSummary {
  model: string;
  measurements: number;
  lastStep: number | null;
  ended: boolean;
  overhead: number | null;
  blocks: BlockSummary[];
  /** The model's reconstruction error per scale in the latest measurement (null: NaN/Inf). */
  reconstruction: Array<{ scale: number; max: number | null; nonFinite: number }>;
  /** First step whose reconstruction error crossed the threshold at some scale, and that scale. */
  reconstructionCrossedAt: { step: number; scale: number } | null;
  thresholds: Thresholds;
  /** The scales of the probe batch the inverse was measured at (settings.inverseScales). */
  inverseScales: number[];
  /** True when some threshold was crossed. */
  crossed: boolean;
  /** Measurements that failed (their steps have no figures), and whether the monitor stopped because of them. */
  failures: { count: number; first: RunError | null; stopped: boolean };
}

export function thresholdsOf(run: RunFile): Thresholds {
  return {
    inverse: run.header.settings.inverseThreshold,
    reconstruction: run.header.settings.reconstructionThreshold,
  };
}

/**
 * The first of a block's inverse lower bounds (at the data, then off it) above the threshold, or NaN/Inf: at the
 * data when the block's outputs there were NaN/Inf, off it whenever no probe point gave a finite value.
 */
export function inverseCrossing(
  b: BlockMeasurement,
  threshold: number,
): { scale: number; value: number | null } | undefined {
  if (b.inverse === undefined) return undefined;
  const estimates = [
    { scale: 1, value: b.inverse.value, broken: b.nonFinite.forward > 0 },
    ...(b.inverseOutOfDistribution ?? []).map((e) => ({ scale: e.scale, value: e.value, broken: true })),
  ];
  const hit = estimates.find((e) => (e.value === null ? e.broken : e.value > threshold));
  return hit === undefined ? undefined : { scale: hit.scale, value: hit.value };
}

/** The largest inverse lower bound off the data (null: none measured, or every point NaN/Inf at some scale). */
export function inverseOffData(b: BlockMeasurement | undefined): number | null {
  const e = b?.inverseOutOfDistribution ?? [];
  if (e.length === 0 || e.some((x) => x.value === null)) return null;
  return Math.max(...e.map((x) => x.value!));
}

function reconstructionCrossing(m: RunMeasurement, threshold: number): number | undefined {
  return m.reconstruction.find((r) => r.max === null || r.max > threshold)?.scale;
}

export function summarizeRun(run: RunFile, thresholds: Thresholds = thresholdsOf(run)): RunSummary {
  const ms = run.measurements;
  const blocks = run.header.blocks.map((info): BlockSummary => {
    const seen = ms.flatMap((m) => {
      const b = m.blocks.find((x) => x.name === info.name);
      return b === undefined ? [] : [{ step: m.step, b }];
    });
    const last = seen[seen.length - 1];
    const crossed = seen
      .map(({ step, b }) => ({ step, hit: inverseCrossing(b, thresholds.inverse) }))
      .find((x) => x.hit !== undefined);
    return {
      name: info.name,
      monitored: info.monitored,
      step: last?.step ?? null,
      forward: last?.b.forward.value ?? null,
      inverse: last?.b.inverse?.value ?? null,
      initialInverse: seen[0]?.b.inverse?.value ?? null,
      inverseOffData: inverseOffData(last?.b),
      initialInverseOffData: inverseOffData(seen[0]?.b),
      roundTrip: last?.b.roundTrip ?? null,
      gradientError: last?.b.gradientError ?? null,
      nonFinite: last === undefined ? 0 : last.b.nonFinite.forward + (last.b.nonFinite.roundTrip ?? 0),
      inverseCrossedAt: crossed?.step ?? null,
      inverseCrossedScale: crossed?.hit?.scale ?? null,
    };
  });
  let reconstructionCrossedAt: RunSummary['reconstructionCrossedAt'] = null;
  for (const m of ms) {
    const scale = reconstructionCrossing(m, thresholds.reconstruction);
    if (scale !== undefined) {
      reconstructionCrossedAt = { step: m.step, scale };
      break;
    }
  }
  const latest = ms[ms.length - 1];
  return {
    model: run.header.model,
    measurements: ms.length,
    lastStep: latest?.step ?? null,
    ended: run.end !== undefined,
    overhead:
      run.end?.overhead ?? (latest ? latest.monitorMs / (latest.monitorMs + latest.trainingMs || 1) : null),
    blocks,
    reconstruction: (latest?.reconstruction ?? []).map((r) => ({
      scale: r.scale,
      max: r.max,
      nonFinite: r.nonFinite,
    })),
    reconstructionCrossedAt,
    thresholds,
    inverseScales: run.header.settings.inverseScales,
    crossed: reconstructionCrossedAt !== null || blocks.some((b) => b.inverseCrossedAt !== null),
    failures: {
      count: run.errors.length,
      first: run.errors[0] ?? null,
      stopped: run.end?.reason === 'failed' && run.errors.length > 0,
    },
  };
}

const BLOCK_CURVES = {
  forward: {
    title: 'Forward Lipschitz lower bound per block (at the probe points)',
    yLabel: 'lower bound on Lip(F)',
    value: (b: BlockMeasurement | undefined) => b?.forward.value ?? null,
  },
  inverse: {
    title: 'Inverse Lipschitz lower bound per block (at the probe points)',
    yLabel: 'lower bound on Lip(F^-1)',
    value: (b: BlockMeasurement | undefined) => b?.inverse?.value ?? null,
  },
  'inverse-off-data': {
    title: 'Inverse Lipschitz lower bound per block off the data (probe points scaled; a gap: NaN/Inf)',
    yLabel: 'lower bound on Lip(F^-1)',
    value: inverseOffData,
  },
} as const;

/** One series per measured block over steps, for log-axis charts (gaps where NaN/Inf or not measured). */
export function blockCurve(run: RunFile, which: keyof typeof BLOCK_CURVES): Curve {
  const ms = run.measurements;
  const spec = BLOCK_CURVES[which];
  const names = run.header.blocks
    .filter((b) => b.monitored && (which === 'forward' || b.hasInverse))
    .map((b) => b.name);
  return {
    id: `run-${which}`,
    title: spec.title,
    xLabel: 'step',
    yLabel: spec.yLabel,
    logX: false,
    logY: true,
    x: ms.map((m) => m.step),
    series: names.map((name) => ({
      name,
      y: ms.map((m) => spec.value(m.blocks.find((x) => x.name === name))),
    })),
  };
}

/** The model's reconstruction error over steps, one series per input scale. */
export function reconstructionCurve(run: RunFile): Curve {
  const ms = run.measurements;
  return {
    id: 'run-reconstruction',
    title: 'Reconstruction error by input scale (a gap: NaN/Inf)',
    xLabel: 'step',
    yLabel: 'max relative error',
    logX: false,
    logY: true,
    x: ms.map((m) => m.step),
    series: run.header.settings.scales.map((scale) => ({
      name: `${scale}x`,
      y: ms.map((m) => m.reconstruction.find((r) => r.scale === scale)?.max ?? null),
    })),
  };
}
