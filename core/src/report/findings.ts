/**
 * Findings from measured figures: each names its probe, the block when one is to blame, and a source range
 * (the block's when known, else the model's) so editors can put it on the right line.
 */
import type { SourceRange } from '../ir/model-ir';
import { LIMITS, type FindingCode } from './finding-codes';
import { FIXED_POINT_FINDINGS, mergeFixedPoint, type FixedPointSummary } from './fixed-point';
import { plural } from './plural';
import type { Figure, Finding, ProbeResult, ReportIntentKind, Severity } from './schema';

export interface SourceMap {
  model?: SourceRange;
  /** Block (layer) name -> its source. */
  blocks?: Record<string, SourceRange>;
}

function value(probe: ProbeResult, id: string): Figure | undefined {
  return probe.figures.find((f) => f.id === id);
}

/** True for NaN/Inf figures and for finite ones above the limit. */
function exceeds(f: Figure | undefined, limit: number): boolean {
  if (f === undefined) return false;
  if (f.value === null) return f.nonFinite !== undefined;
  return f.value > limit;
}

/** A figure for a message: 'unknown' when it was not measured or not read (a non-finite one says which). */
function show(f: Figure | undefined): string {
  if (f === undefined) return 'unknown';
  if (f.value === null) return f.nonFinite ?? 'unknown';
  return Math.abs(f.value) >= 1e4 || (Math.abs(f.value) < 1e-3 && f.value !== 0)
    ? f.value.toExponential(2)
    : String(Number(f.value.toPrecision(4)));
}

/** The block with the largest value in `column` of a probe's `blocks` table (null cells count as worst). */
function worstBlock(
  probe: ProbeResult,
  tableId: string,
  column: string,
  nullIsWorst = true,
): { name: string; value: number } | undefined {
  const table = probe.tables.find((t) => t.id === tableId);
  const col = table?.columns.indexOf(column) ?? -1;
  if (table === undefined || col < 0) return undefined;
  let best: { name: string; value: number } | undefined;
  for (const row of table.rows) {
    if (row[col] === null && !nullIsWorst) continue;
    const v = row[col] === null ? Infinity : Number(row[col]);
    if (best === undefined || v > best.value) best = { name: String(row[0]), value: v };
  }
  return best;
}

/** The message run-probes gives a probe it skipped because the loaded model has no `inverse()`. */
export const NO_INVERSE_MESSAGE = 'the model has no inverse';

/** Probes whose findings are about the inverse: part of an invertible model's verdict only. */
const INVERSE_PROBES = new Set([
  'inverse-lipschitz',
  'reconstruction',
  'attack',
  'condition',
  'sampling',
  'logdet',
  'memory-backprop',
]);

/**
 * `intent` decides what counts: an ordinary or Lipschitz-bounded model is never faulted for its inverse (the
 * worker does not run those probes for it, and findings a caller's probes produce about the inverse are dropped
 * here); an invertible model whose loaded form has no `inverse()` is an error, not a quietly skipped probe.
 */
export function deriveFindings(
  probes: readonly ProbeResult[],
  map: SourceMap = {},
  intent: ReportIntentKind = 'unknown',
): Finding[] {
  const out: Finding[] = [];
  // `within` is where to look for a range when the block has none of its own (the probe block holding a layer).
  const add = (
    code: FindingCode,
    severity: Severity,
    probe: string,
    message: string,
    block?: string,
    within?: string,
  ): void => {
    const f: Finding = { code, severity, probe, message };
    if (block !== undefined) f.block = block;
    const rangeOf = (name: string | undefined): SourceRange | undefined =>
      name === undefined ? undefined : map.blocks?.[name];
    const range = rangeOf(block) ?? rangeOf(within) ?? map.model;
    if (range !== undefined) f.range = range;
    out.push(f);
  };
  const judged = probes.filter(
    (p) => intent === 'invertible' || intent === 'unknown' || !INVERSE_PROBES.has(p.id),
  );
  const noInverse = judged.find((p) => p.status === 'skipped' && p.message === NO_INVERSE_MESSAGE);
  if (intent === 'invertible' && noInverse !== undefined)
    add(
      'missing-inverse',
      'error',
      noInverse.id,
      'The code marks this model as invertible, but the loaded model has no inverse(): its invertibility was not checked.',
    );
  for (const p of judged) {
    if (p.status === 'error')
      add('probe-failed', 'warning', p.id, `${p.title} failed: ${p.message ?? 'unknown error'}`);
    switch (p.id) {
      case 'reconstruction': {
        const data = value(p, 'data-max');
        const inRange = value(p, 'in-range-max');
        const threshold = value(p, 'threshold')?.value ?? LIMITS.reconstruction;
        const scale = value(p, 'first-failing-scale');
        if (exceeds(data, threshold))
          add(
            'non-invertible',
            'error',
            p.id,
            `Numerically non-invertible on the data: reconstruction error ${show(data)} > ${threshold}.`,
          );
        else if (exceeds(inRange, threshold))
          add(
            'non-invertible-in-range',
            'error',
            p.id,
            `Numerically non-invertible inside the data's range: reconstruction error ${show(inRange)} > ${threshold} on inputs whose every coordinate lies within the data's [min, max] (the data themselves: ${show(data)}).`,
          );
        else if (scale !== undefined && scale.value !== null)
          add(
            'non-invertible-ood',
            'warning',
            p.id,
            `Reconstruction error exceeds ${threshold} out of distribution (exploding inverse), from ${failingScales(p, threshold) ?? `${show(scale)}× the data scale`}.`,
          );
        break;
      }
      case 'inverse-lipschitz': {
        const inv = value(p, 'inverse-lipschitz');
        const block = worstBlock(p, 'blocks', 'inverse_lipschitz');
        const where = block === undefined ? '' : ` (largest in block ${block.name})`;
        if (exceeds(inv, LIMITS.inverseError))
          add(
            'exploding-inverse',
            'error',
            p.id,
            `Inverse Lipschitz constant ${show(inv)} at the data${where}.`,
            block?.name,
          );
        else if (exceeds(inv, LIMITS.inverseWarning))
          add(
            'exploding-inverse',
            'warning',
            p.id,
            `Inverse Lipschitz constant ${show(inv)} at the data${where}.`,
            block?.name,
          );
        break;
      }
      case 'forward-lipschitz': {
        const s = value(p, 'sigma-max');
        if (s?.nonFinite !== undefined)
          add('nan-output', 'error', p.id, 'The model returns NaN/Inf at the probe points.');
        else if (exceeds(s, LIMITS.forwardWarning)) {
          const block = worstBlock(p, 'blocks', 'sigma_max');
          add(
            'large-lipschitz',
            'warning',
            p.id,
            `Forward Jacobian norm ${show(s)} at the data.`,
            block?.name,
          );
        }
        break;
      }
      case 'attack': {
        const w = value(p, 'worst-error');
        if (exceeds(w, LIMITS.attackError))
          add(
            'invertibility-attack',
            'error',
            p.id,
            `Inputs within ${show(value(p, 'epsilon'))} (L-inf) of the data reconstruct with error ${show(w)}.`,
          );
        break;
      }
      case 'sampling': {
        const nan = value(p, 'nonfinite-rate');
        const huge = value(p, 'huge-rate');
        if (exceeds(nan, 0))
          add('sampling-nonfinite', 'error', p.id, `${show(nan)} of samples F^-1(z) are NaN/Inf.`);
        else if (exceeds(huge, 0))
          add('sampling-huge', 'warning', p.id, `${show(huge)} of samples F^-1(z) are huge.`);
        break;
      }
      case 'condition': {
        const c = value(p, 'condition');
        const drift = value(p, 'drift');
        if (exceeds(c, LIMITS.conditionWarning))
          add('ill-conditioned', 'warning', p.id, `Jacobian condition number ${show(c)}.`);
        if (exceeds(drift, LIMITS.driftWarning))
          add('round-trip-drift', 'warning', p.id, `Repeated round trips drift by ${show(drift)}.`);
        break;
      }
      case 'logdet': {
        const e = value(p, 'max-error');
        const tol = value(p, 'tolerance')?.value ?? LIMITS.logDet;
        if (exceeds(e, tol)) {
          // The mismatch beyond the reference's error bound names the block, not the raw difference.
          const block = worstBlock(p, 'checks', 'excess');
          add(
            'logdet-mismatch',
            'error',
            p.id,
            `log|det J| differs from brute force by ${show(e)} (relative)${block ? ` in ${block.name}` : ''}.`,
            block?.name === '(model)' ? undefined : block?.name,
          );
        }
        break;
      }
      case 'memory-backprop': {
        // Input and weight gradients are checked alike: either being wrong breaks memory-saving training.
        for (const [id, column, what] of [
          ['gradient-error', 'gradient_error', 'Input gradients'],
          ['weight-gradient-error', 'weight_gradient_error', 'Weight gradients'],
        ] as const) {
          const e = value(p, id);
          if (!exceeds(e, value(p, 'tolerance')?.value ?? LIMITS.gradientWarning)) continue;
          // A null weight cell is a block without weights, not a failure.
          const block = worstBlock(p, 'blocks', column, column === 'gradient_error');
          add(
            id === 'gradient-error' ? 'memory-backprop' : 'memory-backprop-weights',
            'warning',
            p.id,
            `${what} from rebuilt activations are off by ${show(e)} (relative)${block ? `, worst in ${block.name}` : ''}.`,
            block?.name,
          );
        }
        break;
      }
    }
  }
  // One finding per layer over all probes (each probe that inverts sees the same layer). On the data it is an
  // error: the inverse the model is used with returns a point that is not F^-1(y), and its error is not bounded
  // by the tolerance. Only out of distribution it is a warning, as for `non-invertible-ood`: the data's inverse
  // is right, and inputs far from the data may never reach the model.
  for (const { summary: s, failingProbes } of mergeFixedPoint(judged)) {
    if (s.notConverged === 0) continue;
    const atData = s.notConvergedAtData > 0;
    add(
      atData ? FIXED_POINT_FINDINGS.atData : FIXED_POINT_FINDINGS.outOfDistribution,
      atData ? 'error' : 'warning',
      failingProbes[0] ?? 'audit',
      fixedPointMessage(s, atData, failingProbes),
      s.layer,
      s.block,
    );
  }
  return out;
}

/**
 * Per input kind of the reconstruction sweep, the smallest scale whose error crosses the threshold (NaN counts),
 * in the sweep's order; undefined for a probe without the sweep table.
 */
function failingScales(probe: ProbeResult, threshold: number): string | undefined {
  const table = probe.tables.find((t) => t.id === 'sweep');
  const [kind, scale, max] = ['input', 'scale', 'max_error'].map((c) => table?.columns.indexOf(c) ?? -1);
  if (table === undefined || kind! < 0 || scale! < 0 || max! < 0) return undefined;
  const first = new Map<string, number>();
  for (const row of table.rows) {
    const [k, s, e] = [row[kind!], Number(row[scale!]), row[max!]];
    if (typeof k !== 'string' || (e !== null && Number(e) <= threshold)) continue;
    first.set(k, Math.min(first.get(k) ?? Infinity, s));
  }
  if (first.size === 0) return undefined;
  const at: Record<string, (s: number) => string> = {
    data: (s) => `the data scaled by ${s}`,
    uniform: (s) => `uniform noise at ${s}× the data's RMS`,
    structured: (s) => `structured noise at ${s}× the data's RMS`,
  };
  return [...first].map(([k, s]) => at[k]?.(s) ?? `${k} at ${s}x`).join(', ');
}

function fixedPointMessage(s: FixedPointSummary, atData: boolean, probes: readonly string[]): string {
  const num = (v: number | null): string => (v === null ? 'NaN' : show({ id: '', label: '', value: v }));
  const more = s.failingInputs.length - 4;
  const inputs = s.failingInputs.slice(0, 4).join(', ') + (more > 0 ? ` and ${more} more` : '');
  const where = atData
    ? `in ${s.notConverged} of ${plural(s.calls, 'call')}, ${s.notConvergedAtData} of them on the data or inside its range (inputs: ${inputs})`
    : `in ${s.notConverged} of ${plural(s.calls, 'call')}, all out of distribution (${inputs})`;
  const residual =
    s.tolerance === null
      ? `final residual ${num(s.residual)}`
      : `final residual ${num(s.residual)} > tolerance ${num(s.tolerance)}${s.ratio === null ? '' : ` (${num(s.ratio)}x)`}`;
  const cap = `${plural(s.iterations, 'iteration')}${s.cap === null ? '' : ` (cap ${s.cap})`}`;
  const lip =
    s.contraction === null
      ? ''
      : s.contraction < 1
        ? `; the cap follows from Lip(g) <= ${num(s.contraction)}`
        : `; Lip(g) < 1 is not certified (bound ${num(s.contraction)}), so the cap is the configured one`;
  return `Fixed-point inverse of ${s.layer} stopped at its iteration cap without reaching its tolerance ${where}, during ${[...new Set(probes)].join(', ')}; worst: ${residual} after ${cap}${lip}.`;
}
