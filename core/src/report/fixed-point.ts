/**
 * Convergence of fixed-point inverses (the i-ResNet block's x <- y - g(x), or any layer with lastInverseReport())
 * as a probe result carries it: the ids of its table, figures and findings, the table's columns and the reader
 * of its rows, in one place for the probes (which write them) and findings.ts (which reads them).
 */
import type { ProbeResult, Table } from './schema';

export const FIXED_POINT_TABLE = 'fixed-point-inverse';

export const FIXED_POINT_FIGURES = {
  calls: 'fixed-point-calls',
  notConverged: 'fixed-point-not-converged',
  worstRatio: 'fixed-point-worst-ratio',
} as const;

/** Like `non-invertible` / `non-invertible-ood`: on the data an error, only out of distribution a warning. */
export const FIXED_POINT_FINDINGS = {
  atData: 'inverse-not-converged',
  outOfDistribution: 'inverse-not-converged-ood',
} as const;

/** Where a probe's inputs were: `kind` (data, uniform, structured, latent, ...) at `scale` times the data's. */
export interface InputPlace {
  kind: string;
  scale: number;
}

/** The probe points themselves (and what stays next to them: their images, an attack's ball around them). */
export const AT_DATA = { kind: 'data', scale: 1 } as const satisfies InputPlace;

export function isAtData(p: InputPlace): boolean {
  return p.kind === AT_DATA.kind && p.scale === AT_DATA.scale;
}

/**
 * Inputs inside the data's range (every coordinate within the data's [min, max]) that are not the data: uniform
 * in that box, points between two data points. A failure there is as much an error as on the data itself.
 */
export const IN_DATA_RANGE = { kind: 'in-range', scale: 1 } as const satisfies InputPlace;

/** The data or inputs inside its range: where a failure is an error, not an out-of-distribution warning. */
export function isWithinData(p: InputPlace): boolean {
  return isAtData(p) || p.kind === IN_DATA_RANGE.kind;
}

export function placeLabel(p: InputPlace): string {
  if (isAtData(p)) return 'data';
  return p.kind === IN_DATA_RANGE.kind ? 'inside the data range' : `${p.kind} x${p.scale}`;
}

/** One layer's inverse calls during a probe, and its worst call (largest residual / tolerance). */
export interface FixedPointSummary {
  layer: string;
  /** The probe block that holds the layer (its own name for a flow's blocks). */
  block: string;
  calls: number;
  notConverged: number;
  /** Of those, the calls on the data or inside its range (see isWithinData). */
  notConvergedAtData: number;
  /** Of the worst call; null when NaN/Inf. */
  residual: number | null;
  /** Of the worst call; null when the layer does not report it. */
  tolerance: number | null;
  /** residual / tolerance of the worst call; null when unknown or not finite. */
  ratio: number | null;
  iterations: number;
  cap: number | null;
  /** The Lip(g) bound that set the cap (>= 1: not certified); null when not reported. */
  contraction: number | null;
  /** placeLabel of the inputs where calls did not converge, data first. */
  failingInputs: string[];
}

const COLUMNS = [
  'layer',
  'block',
  'calls',
  'not_converged',
  'not_converged_at_data',
  'worst_residual',
  'tolerance',
  'residual_over_tolerance',
  'iterations',
  'cap',
  'contraction',
  'failing_inputs',
] as const;

type Cell = string | number | null;

export function fixedPointTable(rows: readonly FixedPointSummary[]): Table {
  return {
    id: FIXED_POINT_TABLE,
    title: 'Fixed-point inverses (worst call per layer)',
    columns: [...COLUMNS],
    rows: rows.map((s) => {
      const cells: Record<(typeof COLUMNS)[number], Cell> = {
        layer: s.layer,
        block: s.block,
        calls: s.calls,
        not_converged: s.notConverged,
        not_converged_at_data: s.notConvergedAtData,
        worst_residual: s.residual,
        tolerance: s.tolerance,
        residual_over_tolerance: s.ratio,
        iterations: s.iterations,
        cap: s.cap,
        contraction: s.contraction,
        failing_inputs: s.failingInputs.join(', '),
      };
      return COLUMNS.map((c) => cells[c]);
    }),
  };
}

/** The rows of a probe's fixed-point table; rows of another layout (an older writer) are skipped. */
export function readFixedPointTable(probe: ProbeResult): FixedPointSummary[] {
  const table = probe.tables.find((t) => t.id === FIXED_POINT_TABLE);
  if (table === undefined || COLUMNS.some((c, i) => table.columns[i] !== c)) return [];
  const num = (v: Cell | undefined): number | null => (typeof v === 'number' ? v : null);
  return table.rows.flatMap((row): FixedPointSummary[] => {
    const [layer, block, calls, bad, badAtData, residual, tolerance, ratio, iterations, cap, l, failing] =
      row;
    if (typeof layer !== 'string' || typeof calls !== 'number' || typeof bad !== 'number') return [];
    return [
      {
        layer,
        block: typeof block === 'string' ? block : layer,
        calls,
        notConverged: bad,
        notConvergedAtData: num(badAtData) ?? 0,
        residual: num(residual),
        tolerance: num(tolerance),
        ratio: num(ratio),
        iterations: num(iterations) ?? 0,
        cap: num(cap),
        contraction: num(l),
        failingInputs: typeof failing === 'string' && failing !== '' ? failing.split(', ') : [],
      },
    ];
  });
}

/** Orders worst calls: not converged first, then by ratio (unknown or non-finite counts as the largest). */
export function worseThan(a: FixedPointSummary, b: FixedPointSummary): boolean {
  const bad = (s: FixedPointSummary): number => (s.notConverged > 0 ? 1 : 0);
  const ratio = (s: FixedPointSummary): number => s.ratio ?? (s.notConverged > 0 ? Infinity : 0);
  return bad(a) !== bad(b) ? bad(a) > bad(b) : ratio(a) > ratio(b);
}

const WITHIN_DATA_LABELS = [placeLabel(AT_DATA), placeLabel(IN_DATA_RANGE)];

/** Input labels with the data's first, then inside its range, the rest in the order seen. */
export function dataFirst(labels: readonly string[]): string[] {
  const rank = (l: string): number => {
    const i = WITHIN_DATA_LABELS.indexOf(l);
    return i < 0 ? WITHIN_DATA_LABELS.length : i;
  };
  // Array.prototype.sort is stable: labels of one rank keep the order seen.
  return [...labels].sort((a, b) => rank(a) - rank(b));
}

/** Every probe's rows merged per layer: counts summed, the worst call kept, and the probes that saw failures. */
export function mergeFixedPoint(
  probes: readonly ProbeResult[],
): Array<{ summary: FixedPointSummary; failingProbes: string[] }> {
  const byLayer = new Map<string, { summary: FixedPointSummary; failingProbes: string[] }>();
  for (const p of probes)
    for (const s of readFixedPointTable(p)) {
      const seen = byLayer.get(s.layer);
      const failing = s.notConverged > 0 ? [p.id] : [];
      if (seen === undefined) {
        byLayer.set(s.layer, { summary: { ...s }, failingProbes: failing });
        continue;
      }
      const m = seen.summary;
      const worst = worseThan(s, m) ? s : m;
      seen.summary = {
        ...worst,
        calls: m.calls + s.calls,
        notConverged: m.notConverged + s.notConverged,
        notConvergedAtData: m.notConvergedAtData + s.notConvergedAtData,
        failingInputs: dataFirst([...new Set([...m.failingInputs, ...s.failingInputs])]),
      };
      seen.failingProbes.push(...failing);
    }
  return [...byLayer.values()];
}
