/**
 * What a run file says, per block: the latest estimates, how far they moved since the first measurement, and the
 * first step each threshold was crossed. The thresholds are the reader's (the CLI's flags), not necessarily the
 * monitor's, so a CI job can be stricter than the training script. tfjs-free: the CLI and the webview use it.
 */
import type { Curve } from '../report/schema';
import type { BlockMeasurement, RunFile, RunMeasurement } from './run-file';

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
  roundTrip: number | null;
  gradientError: number | null;
  /** Probe rows whose output was NaN/Inf in the latest measurement. */
  nonFinite: number;
  /** First step whose inverse lower bound exceeded the threshold (or was NaN/Inf with broken outputs). */
  inverseCrossedAt: number | null;
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
  /** True when some threshold was crossed. */
  crossed: boolean;
}

export function thresholdsOf(run: RunFile): Thresholds {
  return {
    inverse: run.header.settings.inverseThreshold,
    reconstruction: run.header.settings.reconstructionThreshold,
  };
}

function inverseCrossed(b: BlockMeasurement, threshold: number): boolean {
  if (b.inverse === undefined) return false;
  const v = b.inverse.value;
  return v === null ? b.nonFinite.forward > 0 : v > threshold;
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
    const crossed = seen.find(({ b }) => inverseCrossed(b, thresholds.inverse));
    return {
      name: info.name,
      monitored: info.monitored,
      step: last?.step ?? null,
      forward: last?.b.forward.value ?? null,
      inverse: last?.b.inverse?.value ?? null,
      initialInverse: seen[0]?.b.inverse?.value ?? null,
      roundTrip: last?.b.roundTrip ?? null,
      gradientError: last?.b.gradientError ?? null,
      nonFinite: last === undefined ? 0 : last.b.nonFinite.forward + (last.b.nonFinite.roundTrip ?? 0),
      inverseCrossedAt: crossed?.step ?? null,
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
    crossed: reconstructionCrossedAt !== null || blocks.some((b) => b.inverseCrossedAt !== null),
  };
}

/** One series per measured block over steps, for log-axis charts (gaps where NaN/Inf or not measured). */
export function blockCurve(run: RunFile, which: 'forward' | 'inverse'): Curve {
  const ms = run.measurements;
  const names = run.header.blocks
    .filter((b) => b.monitored && (which === 'forward' || b.hasInverse))
    .map((b) => b.name);
  return {
    id: `run-${which}`,
    title:
      which === 'forward'
        ? 'Forward Lipschitz lower bound per block (at the probe points)'
        : 'Inverse Lipschitz lower bound per block (at the probe points)',
    xLabel: 'step',
    yLabel: which === 'forward' ? 'lower bound on Lip(F)' : 'lower bound on Lip(F^-1)',
    logX: false,
    logY: true,
    x: ms.map((m) => m.step),
    series: names.map((name) => ({
      name,
      y: ms.map((m) => {
        const b = m.blocks.find((x) => x.name === name);
        return (which === 'forward' ? b?.forward.value : b?.inverse?.value) ?? null;
      }),
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
