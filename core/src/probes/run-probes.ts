/**
 * Runs a set of probes in this process, one after another, each isolated: a probe that throws is recorded
 * as an error and the next one runs; the budget and cancellation are checked between and inside probes.
 */
import { NO_INVERSE_MESSAGE } from '../report/findings';
import type { ProbeResult } from '../report/schema';
import { FixedPointLog } from './fixed-point';
import { DEFAULT_SETTINGS, type ProbeId, type ProbeSettings } from './probe';
import { PROBES } from './registry';
import { Rng } from './rng';
import { emptyPasses, stopReason, type ProbeContext, type ProbeTarget, type Tensor, type Tf } from './target';

export interface ProbeProgress {
  probe: ProbeId;
  title: string;
  /** Index of the probe in the run and how many there are. */
  index: number;
  count: number;
  fraction: number;
  message?: string;
}

export interface RunProbesOptions {
  tf: Tf;
  probes: readonly ProbeId[];
  settings?: Partial<ProbeSettings>;
  seed: number;
  /** Epoch milliseconds at which to stop. */
  deadline: number;
  signal?: AbortSignal;
  onProgress?: (p: ProbeProgress) => void;
  /** Why a probe is not part of this model's audit (its intent), or undefined to run it; it is listed as skipped. */
  notApplicable?: (id: ProbeId) => string | undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function runProbes(
  target: ProbeTarget,
  data: Tensor,
  o: RunProbesOptions,
): Promise<ProbeResult[]> {
  const settings: ProbeSettings = { ...DEFAULT_SETTINGS, ...o.settings };
  const results: ProbeResult[] = [];
  const root = new Rng(o.seed);
  for (const [index, id] of o.probes.entries()) {
    const probe = PROBES[id];
    const passes = emptyPasses();
    const result: ProbeResult = {
      id,
      title: probe.title,
      status: 'ok',
      durationMs: 0,
      passes,
      figures: [],
      tables: [],
      curves: [],
      notes: [],
    };
    results.push(result);
    const fixedPoints = new FixedPointLog();
    const ctx: ProbeContext = {
      tf: o.tf,
      rng: root.fork(id),
      deadline: o.deadline,
      passes,
      at: (place, f) => fixedPoints.at(place, f),
      progress: (fraction, msg) =>
        o.onProgress?.({
          probe: id,
          title: probe.title,
          index,
          count: o.probes.length,
          fraction,
          ...(msg === undefined ? {} : { message: msg }),
        }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    };
    const outOfScope = o.notApplicable?.(id);
    if (outOfScope !== undefined) {
      result.status = 'skipped';
      result.message = outOfScope;
      continue;
    }
    const stop = stopReason(ctx);
    if (stop !== undefined) {
      result.status = stop;
      result.message = stop === 'timeout' ? 'not run: the time budget was spent' : 'not run: cancelled';
      continue;
    }
    if (probe.needsInverse && target.inverse === undefined) {
      result.status = 'skipped';
      result.message = NO_INVERSE_MESSAGE;
      continue;
    }
    const start = Date.now();
    ctx.progress(0);
    const attempt = async (): Promise<void> => {
      // A scope frees whatever a failing probe left behind; results are plain data, not tensors.
      o.tf.engine().startScope();
      fixedPoints.clear();
      const unwatch = fixedPoints.watch(target.iterativeInverses ?? []);
      try {
        const out = await probe.run({ target, data, settings }, ctx);
        Object.assign(result, {
          status: out.status ?? 'ok',
          figures: out.figures,
          tables: out.tables,
          curves: out.curves,
          notes: [...result.notes, ...out.notes],
        });
        if (out.message !== undefined) result.message = out.message;
        if (out.status === 'timeout') result.message = 'stopped at the time budget; figures are partial';
        if (out.status === 'cancelled') result.message = 'cancelled; figures are partial';
      } finally {
        unwatch();
        o.tf.engine().endScope();
      }
    };
    const backend = o.tf.getBackend();
    try {
      await attempt();
      result.backend = { name: o.tf.getBackend() };
    } catch (e) {
      // The wasm backend lacks some gradient kernels (this project's layers avoid them, see
      // layers/portable-ops.ts; a user's own op may not): rerun the probe on cpu, which has them all, rather than
      // lose it, and record the fallback in the report.
      if (
        /not registered for backend/.test(message(e)) &&
        backend !== 'cpu' &&
        o.tf.findBackend('cpu') !== null
      ) {
        result.notes.push(`${message(e)}: this probe ran on the cpu backend instead.`);
        await o.tf.setBackend('cpu');
        result.backend = { name: o.tf.getBackend(), fallback: { from: backend, reason: message(e) } };
        try {
          await attempt();
        } catch (e2) {
          result.status = 'error';
          result.message = message(e2);
        } finally {
          await o.tf.setBackend(backend);
        }
      } else {
        result.backend = { name: o.tf.getBackend() };
        result.status = 'error';
        result.message = message(e);
      }
    }
    // A probe that switched backends itself and did not switch back ran (at least its end) elsewhere.
    if (
      result.backend !== undefined &&
      result.backend.fallback === undefined &&
      result.backend.name !== backend
    )
      result.backend.fallback = { from: backend, reason: 'the probe switched backends itself' };
    // Also after a failure: a fixed-point inverse that did not converge may be why.
    const { figures, tables } = fixedPoints.output();
    result.figures.push(...figures);
    result.tables.push(...tables);
    result.durationMs = Date.now() - start;
    ctx.progress(1);
  }
  return results;
}
