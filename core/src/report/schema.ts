/**
 * The audit report: plain JSON that crosses the worker, the language server, the webview and the CLI. Every
 * reader calls `parseReport`, which rejects versions it does not know rather than guessing at their shape.
 */
import type { SourceRange } from '../ir/model-ir';

/** Bumped on any change that an older reader would misread. */
export const REPORT_VERSION = 1;

/** JSON has no NaN or Infinity: non-finite figures are `null` with `nonFinite` saying which. */
export type NonFinite = 'nan' | 'inf' | '-inf';

export interface Figure {
  id: string;
  label: string;
  value: number | null;
  nonFinite?: NonFinite;
  unit?: string;
}

/** A per-block (or per-point) table: `columns` names the cells of every row. */
export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

export interface CurveSeries {
  name: string;
  /** One y per x of the curve; null where the value was NaN/Inf. */
  y: Array<number | null>;
}

/** E.g. reconstruction error vs input scale, one series per input kind. */
export interface Curve {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  logX: boolean;
  logY: boolean;
  x: number[];
  series: CurveSeries[];
}

export type ProbeStatus = 'ok' | 'skipped' | 'error' | 'timeout' | 'cancelled';

export interface PassCount {
  /** Calls of the forward map (each over the whole batch of probe points, or a batch of that size). */
  forward: number;
  inverse: number;
  /** Reverse-mode passes (a VJP or gradient), each also running one forward. */
  backward: number;
}

export interface ProbeResult {
  id: string;
  title: string;
  status: ProbeStatus;
  /** Why it was skipped or failed, or what was cut short. */
  message?: string;
  durationMs: number;
  passes: PassCount;
  figures: Figure[];
  tables: Table[];
  curves: Curve[];
  notes: string[];
}

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable id, e.g. `exploding-inverse`, for settings and docs. */
  code: string;
  severity: Severity;
  message: string;
  probe: string;
  block?: string;
  /** Where to show it: the block's source when known, else the model's. */
  range?: SourceRange;
}

export type ModelSourceKind = 'module' | 'checkpoint' | 'inline';

export interface ModelIdentity {
  name: string;
  source: ModelSourceKind;
  /** The module or model.json path. */
  file?: string;
  exportName?: string;
  range?: SourceRange;
  inputShape?: number[];
  outputShape?: number[];
  parameters?: number;
  blocks?: string[];
}

export interface BackendInfo {
  /** tfjs backend name (`tensorflow`, `wasm`, `cpu`). */
  name: string;
  /** Which package the tfjs came from (`@tensorflow/tfjs-node`, ...). */
  package: string;
  version: string;
  /** Resolved path of the tfjs package, or `bundled`. */
  path: string;
  /** True when the user's folder had no tfjs and the bundled copy ran. */
  bundled: boolean;
  notes: string[];
}

export interface AuditSettings {
  probes: string[];
  seed: number;
  points: number;
  budgetSeconds: number;
  /** Where the probe inputs came from: a sample file, or standard normals. */
  data: string;
  /** Everything else the probes used (thresholds, iterations), for reproducibility. */
  options: Record<string, number | string | boolean | number[]>;
}

export type ReportStatus = 'complete' | 'partial' | 'failed';

export interface ReportError {
  /** Where it went wrong: loading the model, a probe, the worker process. */
  phase: 'load' | 'probe' | 'worker' | 'timeout' | 'cancelled';
  message: string;
  detail?: string;
}

export interface Report {
  version: typeof REPORT_VERSION;
  tool: 'lipschitz-lens';
  createdAt: string;
  status: ReportStatus;
  model: ModelIdentity;
  backend?: BackendInfo;
  settings: AuditSettings;
  durationMs: number;
  /** The headline numbers, copied from the probes (`<probe>.<figure>` ids). */
  figures: Figure[];
  probes: ProbeResult[];
  findings: Finding[];
  error?: ReportError;
}

export class ReportParseError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need(cond: boolean, what: string): void {
  if (!cond) throw new ReportParseError(`invalid report: ${what}`);
}

function checkFigures(v: Json | undefined, where: string): void {
  need(Array.isArray(v), `${where} must be an array`);
  for (const f of v as Json[]) {
    need(isObject(f) && typeof f.id === 'string', `${where}: figure without id`);
    const value = (f as { [key: string]: Json }).value;
    need(value === null || typeof value === 'number', `${where}: figure value must be a number or null`);
  }
}

/**
 * Validates a report read from JSON (a string or an already parsed value). Checks the version first so
 * that a newer report is rejected with a message that says so, then the shape of every part readers use.
 */
export function parseReport(input: string | unknown): Report {
  let value: Json;
  try {
    value = (typeof input === 'string' ? JSON.parse(input) : input) as Json;
  } catch (e) {
    throw new ReportParseError(`report is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  need(isObject(value), 'not an object');
  const r = value as { [key: string]: Json };
  if (r.version !== REPORT_VERSION) {
    throw new ReportParseError(
      `unsupported report version ${JSON.stringify(r.version ?? null)} (this reader knows ${REPORT_VERSION})`,
    );
  }
  need(r.tool === 'lipschitz-lens', 'tool must be lipschitz-lens');
  need(['complete', 'partial', 'failed'].includes(String(r.status)), 'status');
  need(isObject(r.model) && typeof r.model.name === 'string', 'model.name');
  need(isObject(r.settings) && Array.isArray(r.settings.probes), 'settings.probes');
  checkFigures(r.figures, 'figures');
  need(Array.isArray(r.probes), 'probes must be an array');
  for (const p of r.probes as Json[]) {
    need(isObject(p) && typeof p.id === 'string', 'probe without id');
    const probe = p as { [key: string]: Json };
    need(
      ['ok', 'skipped', 'error', 'timeout', 'cancelled'].includes(String(probe.status)),
      `probe ${probe.id} status`,
    );
    checkFigures(probe.figures, `probe ${probe.id} figures`);
    need(Array.isArray(probe.tables) && Array.isArray(probe.curves), `probe ${probe.id} tables/curves`);
  }
  need(Array.isArray(r.findings), 'findings must be an array');
  for (const f of r.findings as Json[]) {
    need(isObject(f) && ['error', 'warning', 'info'].includes(String(f.severity)), 'finding severity');
    need(typeof (f as { [key: string]: Json }).message === 'string', 'finding message');
  }
  if (r.error !== undefined) need(isObject(r.error) && typeof r.error.message === 'string', 'error.message');
  return value as unknown as Report;
}

/** A figure from a number that may be NaN or infinite. */
export function figure(id: string, label: string, value: number, unit?: string): Figure {
  const f: Figure = { id, label, value: Number.isFinite(value) ? value : null };
  if (!Number.isFinite(value)) f.nonFinite = Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (unit !== undefined) f.unit = unit;
  return f;
}

/** A table cell or curve point from a number that may be NaN or infinite. */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
