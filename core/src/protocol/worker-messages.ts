/**
 * The probe worker's IPC messages (child_process.fork channel). Types only: the parent (run-audit.ts) and the
 * worker (worker.ts) import these, and nothing else crosses the boundary but plain JSON.
 */
import type { IntentKind, SourceRange } from '../ir/model-ir';
import type { Report, ReportStaticBounds } from '../report/schema';

export type BackendPreference = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

/** A JSON value, for factory arguments and probe options. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type ModelSource =
  | {
      source: 'module';
      /** The TS/JS file exporting the model or a factory. */
      file: string;
      /** Export to use; `default`, or the only model-like export, when absent. */
      exportName?: string;
      /** Arguments for a factory export. */
      args?: JsonValue[];
      name?: string;
    }
  | { source: 'checkpoint'; /** model.json path. */ path: string; name?: string };

/** One lint finding about the audited model; `blockIndex`: the top-level block holding it, in model order. */
export interface LintEntry {
  ruleId: string;
  severity: 'error' | 'warning';
  message: string;
  range: SourceRange;
  blockIndex?: number;
}

export interface AuditRequest {
  model: ModelSource;
  /** The workspace folder: the worker's cwd, where the user's tfjs is resolved. */
  cwd: string;
  backend?: BackendPreference;
  budgetSeconds: number;
  /** Cap on the worker's JS heap and resident size; the worker is killed past it (AUDIT_DEFAULTS when absent). */
  memoryCapMB?: number;
  /** Number of probe points (when no sample file is given). */
  points?: number;
  seed?: number;
  /** Probe ids; all of them when absent. */
  probes?: string[];
  /** A JSON or .npy file of probe inputs, [n, ...inputShape]. */
  sample?: string;
  /** One point's shape, for models that do not declare it. */
  inputShape?: number[];
  /** Overrides of the probe settings (see ProbeSettings). */
  options?: Record<string, JsonValue>;
  /**
   * The model's intent as the linter decided it (kind and the signals' messages): it picks the probes and what the
   * verdict means. Absent when no source was analysed (a bare checkpoint): the worker then decides by whether the
   * loaded model has an inverse, and the report says so.
   */
  intent?: { kind: IntentKind; signals: string[] };
  /** The linter's error and warning findings about the model, shown in the report beside the measured values. */
  lint?: LintEntry[];
  /** The static calculus per block and for the whole model, kept in the report beside the measured values. */
  staticBounds?: ReportStaticBounds;
  /** Where the model and its blocks (by layer name) are defined, for findings. */
  range?: SourceRange;
  blockRanges?: Record<string, SourceRange>;
  /** Ranges of the top-level blocks in application order, matched to the run-time blocks by position. */
  blockRangesInOrder?: SourceRange[];
}

/**
 * Defaults shared by the CLI and the extension's settings, so editor and CI audit alike. 4096 MB of memory: the
 * JS heap Node 20 gives a 64-bit process by default (4144 MB), so a model that ran before still fits, and a
 * quarter of a 16 GB laptop or CI runner, so a runaway model leaves room for the editor.
 */
export const AUDIT_DEFAULTS = { budgetSeconds: 120, points: 16, seed: 0, memoryCapMB: 4096 } as const;

export interface AuditProgress {
  probe: string;
  /** The probe's title, for "probe i of n: <title>". */
  title?: string;
  index: number;
  count: number;
  /** This probe's fraction done, in [0, 1]. */
  fraction: number;
  message?: string;
}

export type ToWorker =
  /** `startedAt`: when the parent started the audit (epoch ms); the budget runs from then. */
  { type: 'start'; request: AuditRequest; startedAt: number } | { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: AuditProgress }
  /** The finished (or partial, or failed-but-reported) audit. */
  | { type: 'result'; report: Report }
  /** The worker could not produce a report at all. */
  | { type: 'error'; message: string; detail?: string };

export function isFromWorker(m: unknown): m is FromWorker {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'progress' || t === 'result' || t === 'error';
}

export function isToWorker(m: unknown): m is ToWorker {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  const start = m as { request?: unknown; startedAt?: unknown };
  return (
    (t === 'start' && typeof start.request === 'object' && typeof start.startedAt === 'number') ||
    t === 'cancel'
  );
}
