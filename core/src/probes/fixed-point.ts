/**
 * Watches a target's fixed-point inverses while a probe runs. Every call of such a layer's inverse, wherever it
 * comes from (the model's inverse, one block's, a gradient through them), records the layer's lastInverseReport()
 * with where the probe's inputs were (ProbeContext.at), so that a run stopped at its iteration cap becomes a table
 * in the probe's result and a finding in the report (core/src/report/fixed-point.ts) instead of going unread.
 */
import {
  AT_DATA,
  dataFirst,
  FIXED_POINT_FIGURES,
  fixedPointTable,
  type FixedPointSummary,
  type InputPlace,
  isWithinData,
  placeLabel,
} from '../report/fixed-point';
import { figure, finiteOrNull, type Figure, type Table } from '../report/schema';
import type { IterativeInverse, Tensor } from './target';

interface Run {
  iterations: number;
  residual: number;
  converged: boolean;
  tolerance?: number;
  cap?: number;
  contraction?: number;
  place: InputPlace;
}

function numberField(r: Record<string, unknown>, key: string): number | undefined {
  const v = r[key];
  return typeof v === 'number' ? v : undefined;
}

/** A report read by shape (it may come from the user's copy of this library); undefined when it is none. */
function readRun(report: unknown, place: InputPlace): Run | undefined {
  if (typeof report !== 'object' || report === null) return undefined;
  const r = report as Record<string, unknown>;
  const iterations = numberField(r, 'iterations');
  const residual = numberField(r, 'residual');
  if (typeof r['converged'] !== 'boolean' || iterations === undefined || residual === undefined)
    return undefined;
  const run: Run = { iterations, residual, converged: r['converged'], place };
  for (const key of ['tolerance', 'cap', 'contraction'] as const) {
    const v = numberField(r, key);
    if (v !== undefined) run[key] = v;
  }
  return run;
}

/** residual / tolerance; NaN when the tolerance is unknown or the residual is not finite. */
function ratioOf(run: Run): number {
  return run.tolerance !== undefined && run.tolerance > 0 ? run.residual / run.tolerance : NaN;
}

/** Not converged first, then the larger ratio (NaN counts as the largest for a run that did not converge). */
function worse(a: Run, b: Run): boolean {
  if (a.converged !== b.converged) return !a.converged;
  const score = (r: Run): number => {
    const q = ratioOf(r);
    return Number.isNaN(q) ? (r.converged ? 0 : Infinity) : q;
  };
  return score(a) > score(b);
}

export class FixedPointLog {
  private place: InputPlace = AT_DATA;
  private readonly runs = new Map<IterativeInverse, Run[]>();

  /** Runs f with the inputs at `place`; calls outside any `at` are at the data. */
  at<T>(place: InputPlace, f: () => T): T {
    const outer = this.place;
    this.place = place;
    try {
      return f();
    } finally {
      this.place = outer;
    }
  }

  clear(): void {
    this.runs.clear();
  }

  /**
   * Shadows each layer's `inverse` with an own property that calls the original and then records its report, so
   * calls from inside the user's Flow or MultiScaleFlow are seen too; the returned function puts things back.
   * A layer that cannot be patched (frozen) is not watched.
   */
  watch(layers: readonly IterativeInverse[]): () => void {
    const undo: Array<() => void> = [];
    const patched = new Set<object>();
    for (const entry of layers) {
      const { layer } = entry;
      if (patched.has(layer)) continue;
      const own = Object.getOwnPropertyDescriptor(layer, 'inverse');
      const original = layer.inverse;
      const inverse = (y: Tensor): Tensor => {
        const out = original.call(layer, y);
        let report: unknown;
        try {
          report = layer.lastInverseReport();
        } catch {
          report = undefined;
        }
        const run = readRun(report, this.place);
        if (run !== undefined) this.runs.set(entry, [...(this.runs.get(entry) ?? []), run]);
        return out;
      };
      try {
        Object.defineProperty(layer, 'inverse', { value: inverse, configurable: true, writable: true });
      } catch {
        continue;
      }
      patched.add(layer);
      undo.push(() => {
        if (own === undefined) Reflect.deleteProperty(layer, 'inverse');
        else Object.defineProperty(layer, 'inverse', own);
      });
    }
    return () => undo.reverse().forEach((f) => f());
  }

  summaries(): FixedPointSummary[] {
    return [...this.runs.entries()].map(([entry, runs]) => {
      const failed = runs.filter((r) => !r.converged);
      const worst = runs.reduce((w, r) => (worse(r, w) ? r : w));
      return {
        layer: entry.name,
        block: entry.block,
        calls: runs.length,
        notConverged: failed.length,
        notConvergedAtData: failed.filter((r) => isWithinData(r.place)).length,
        residual: finiteOrNull(worst.residual),
        tolerance: worst.tolerance ?? null,
        ratio: finiteOrNull(ratioOf(worst)),
        iterations: worst.iterations,
        cap: worst.cap ?? null,
        contraction: worst.contraction ?? null,
        failingInputs: dataFirst([...new Set(failed.map((r) => placeLabel(r.place)))]),
      };
    });
  }

  /** The figures and the per-layer table, or nothing when no fixed-point inverse ran. */
  output(): { figures: Figure[]; tables: Table[] } {
    const all = [...this.runs.values()].flat();
    if (all.length === 0) return { figures: [], tables: [] };
    const figures = [
      figure(FIXED_POINT_FIGURES.calls, 'Calls of fixed-point inverses', all.length),
      figure(
        FIXED_POINT_FIGURES.notConverged,
        'Fixed-point inverse calls stopped at their iteration cap above tolerance',
        all.filter((r) => !r.converged).length,
      ),
    ];
    const withTolerance = all.filter((r) => r.tolerance !== undefined);
    if (withTolerance.length > 0) {
      const ratios = withTolerance.map(ratioOf);
      const worst = ratios.some(Number.isNaN) ? NaN : Math.max(...ratios);
      figures.push(figure(FIXED_POINT_FIGURES.worstRatio, 'Largest final residual / tolerance', worst));
    }
    return { figures, tables: [fixedPointTable(this.summaries())] };
  }
}
