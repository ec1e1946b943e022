/**
 * The audit report: plain JSON that crosses the worker, the language server, the webview and the CLI. Every
 * reader calls `parseReport`, which rejects versions it does not know rather than guessing at their shape.
 */
import type { Position, SourceRange } from '../ir/model-ir';

/**
 * Bumped on any change that an older reader would misread.
 *
 * Version 2 (issue 12) added `intent` (what the model is meant to be, which decides the probes and findings),
 * `provenance` (weights, data, seed), each probe's `backend` (the one it actually ran on, and any fallback) and
 * `lint` (the linter's findings about the model, per block, beside the measured values) and `staticBounds` (the
 * static calculus per block and for the whole model).
 * Migration: none. A version-1 report lacks the facts a verdict now rests on, so readers refuse it with a
 * message that says to run the audit again; nothing converts it.
 */
export const REPORT_VERSION = 2;

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
  /**
   * Calls of the forward map, each over the batch of probe points or a batch of that size, or a few of those in
   * one call (both sides of a finite-difference product; both ends of the pair search's pairs).
   */
  forward: number;
  inverse: number;
  /** Reverse-mode passes (a VJP or gradient), each also running one forward. */
  backward: number;
}

/** The tfjs backend a probe ran on: read at its end, so a switch inside the probe shows. */
export interface ProbeBackend {
  name: string;
  /** Set when the probe left the audit's backend (e.g. a gradient kernel missing on wasm): from where and why. */
  fallback?: { from: string; reason: string };
}

export interface ProbeResult {
  id: string;
  title: string;
  status: ProbeStatus;
  /** Absent when the probe did not run (skipped, or the budget was spent before it). */
  backend?: ProbeBackend;
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

/** The linter's intent kinds (core/src/ir/model-ir.ts), and `unknown` when no source was read and no model loaded. */
export type ReportIntentKind = 'invertible' | 'lipschitz' | 'ordinary' | 'unknown';

/** What the model is meant to be: it decides which probes run and what the verdict means. */
export interface ReportIntent {
  kind: ReportIntentKind;
  /** The evidence, as phrases, strongest first (for `ordinary`, what was seen instead; may be empty). */
  signals: string[];
  /** `code`: the linter's intent, read from the source; `runtime`: no source was analysed, the loaded model decided. */
  decidedBy: 'code' | 'runtime';
}

/** Where the weights came from: a checkpoint, or whatever the module's code built (a fresh initialisation). */
export type WeightsProvenance =
  | {
      kind: 'checkpoint';
      path: string;
      /** The model.json's modification time (ISO), null if unreadable. */ modified: string | null;
    }
  | { kind: 'fresh'; /** The module that built the model. */ module: string }
  /** The module's own code loads or sets weights (`loadLayersModel`, `setWeights`, ...): not fresh, but unnamed. */
  | { kind: 'module-loaded'; module: string; /** The call seen in the module's text. */ call: string };

/** Where the probe inputs came from. */
export type DataProvenance =
  | { kind: 'sample'; path: string; points: number }
  | { kind: 'normal'; points: number; /** Standard deviation of the normals. */ scale: number };

export interface Provenance {
  weights: WeightsProvenance;
  data: DataProvenance;
  seed: number;
}

/** The sentence the page and the CLI put first about the weights. */
export const FRESH_WEIGHTS_TEXT = 'fresh initialisation: this audits the architecture, not a trained model';

/** A lint finding about the audited model, placed at its block (the run-time name) when it is inside one. */
export interface ReportLintFinding {
  ruleId: string;
  severity: 'error' | 'warning';
  message: string;
  block?: string;
  range: SourceRange;
}

/** A bound from the static calculus: a number, or a word saying why there is none (`unknown`, `unbounded`). */
export interface ReportStaticBound {
  label: string;
  /** What a block is (`dense`, `residual`), beside its name. */
  kind?: string;
  forward: number | string;
  inverse: number | string;
  /** How it was derived. */
  source: string;
  file?: string;
  range?: { start: Position; end: Position };
}

/**
 * The static bounds beside the measured values: per top-level block, and the whole model's, which for a critic
 * is the guarantee (the measured constant only bounds it from below).
 */
export interface ReportStaticBounds {
  model?: ReportStaticBound;
  blocks: ReportStaticBound[];
}

/** The static side of the report: what the linter says about the code the audit measured. */
export interface ReportLint {
  findings: ReportLintFinding[];
  /** How the lint findings and the measured verdict relate, when they seem to disagree. */
  relation?: string;
}

export type ReportStatus = 'complete' | 'partial' | 'failed';

/**
 * What the user must tell the audit before it can run: the shape of one input, which export is the model, the
 * arguments of a factory that takes some. A problem of the audit's setup, not of the model, so front ends show it
 * as a step to take, not as a failure.
 */
export type ConfigurationKind = 'input-shape' | 'export' | 'factory-args';

export interface ReportError {
  /** Where it went wrong: loading the model, a probe, the worker process. */
  phase: 'load' | 'probe' | 'worker' | 'timeout' | 'cancelled';
  message: string;
  /** Set when the audit could not start for want of configuration (the model itself was not run). */
  configuration?: ConfigurationKind;
  detail?: string;
}

export interface Report {
  version: typeof REPORT_VERSION;
  tool: 'lipschitz-lens';
  createdAt: string;
  status: ReportStatus;
  model: ModelIdentity;
  intent: ReportIntent;
  provenance: Provenance;
  /** Absent when no source was analysed (a bare checkpoint). */
  lint?: ReportLint;
  /** Absent when no source was analysed. */
  staticBounds?: ReportStaticBounds;
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

function checkIntent(v: Json | undefined): void {
  need(isObject(v), 'intent must be an object');
  const i = v as { [key: string]: Json };
  need(['invertible', 'lipschitz', 'ordinary', 'unknown'].includes(String(i.kind)), 'intent.kind');
  need(Array.isArray(i.signals) && i.signals.every((s) => typeof s === 'string'), 'intent.signals');
  need(i.decidedBy === 'code' || i.decidedBy === 'runtime', 'intent.decidedBy');
}

function checkProvenance(v: Json | undefined): void {
  need(isObject(v), 'provenance must be an object');
  const p = v as { [key: string]: Json };
  const w = p.weights;
  need(isObject(w), 'provenance.weights');
  const weights = w as { [key: string]: Json };
  if (weights.kind === 'checkpoint')
    need(
      typeof weights.path === 'string' && (weights.modified === null || typeof weights.modified === 'string'),
      'provenance.weights: a checkpoint needs path and modified',
    );
  else if (weights.kind === 'module-loaded')
    need(
      typeof weights.module === 'string' && typeof weights.call === 'string',
      'provenance.weights: module-loaded needs module and call',
    );
  else need(weights.kind === 'fresh' && typeof weights.module === 'string', 'provenance.weights.kind');
  const d = p.data;
  need(isObject(d) && typeof d.points === 'number', 'provenance.data');
  const data = d as { [key: string]: Json };
  if (data.kind === 'sample') need(typeof data.path === 'string', 'provenance.data.path');
  else need(data.kind === 'normal' && typeof data.scale === 'number', 'provenance.data.kind');
  need(typeof p.seed === 'number', 'provenance.seed');
}

function checkStaticBound(v: Json | undefined, where: string): void {
  const bound = (b: Json | undefined): boolean => typeof b === 'number' || typeof b === 'string';
  need(
    isObject(v) && typeof v.label === 'string' && bound(v.forward) && bound(v.inverse),
    `${where}: a static bound needs label, forward and inverse`,
  );
  const kind = (v as { [key: string]: Json }).kind;
  need(kind === undefined || typeof kind === 'string', `${where}.kind must be a string`);
}

function checkStaticBounds(v: Json): void {
  need(isObject(v) && Array.isArray(v.blocks), 'staticBounds.blocks must be an array');
  const s = v as { [key: string]: Json };
  (s.blocks as Json[]).forEach((b, i) => checkStaticBound(b, `staticBounds.blocks[${i}]`));
  if (s.model !== undefined) checkStaticBound(s.model, 'staticBounds.model');
}

function checkLint(v: Json): void {
  need(isObject(v) && Array.isArray(v.findings), 'lint.findings must be an array');
  for (const f of (v as { [key: string]: Json }).findings as Json[]) {
    need(
      isObject(f) && typeof f.ruleId === 'string' && typeof f.message === 'string',
      'lint finding without ruleId or message',
    );
    const finding = f as { [key: string]: Json };
    need(finding.severity === 'error' || finding.severity === 'warning', 'lint finding severity');
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
    const older = typeof r.version === 'number' && r.version < REPORT_VERSION;
    throw new ReportParseError(
      `unsupported report version ${JSON.stringify(r.version ?? null)} (this reader knows ${REPORT_VERSION})` +
        (older
          ? ': it was written by an older Lipschitz Lens and lacks the model intent and provenance; run the audit again'
          : ''),
    );
  }
  need(r.tool === 'lipschitz-lens', 'tool must be lipschitz-lens');
  need(['complete', 'partial', 'failed'].includes(String(r.status)), 'status');
  need(isObject(r.model) && typeof r.model.name === 'string', 'model.name');
  need(isObject(r.settings) && Array.isArray(r.settings.probes), 'settings.probes');
  checkIntent(r.intent);
  checkProvenance(r.provenance);
  if (r.lint !== undefined) checkLint(r.lint);
  if (r.staticBounds !== undefined) checkStaticBounds(r.staticBounds);
  checkFigures(r.figures, 'figures');
  checkProbes(r.probes);
  checkFindings(r.findings);
  if (r.error !== undefined) need(isObject(r.error) && typeof r.error.message === 'string', 'error.message');
  return value as unknown as Report;
}

/** Throws ReportParseError unless `v` is a list of probe results a reader can use. */
export function checkProbes(v: unknown): void {
  need(Array.isArray(v), 'probes must be an array');
  for (const p of v as Json[]) {
    need(isObject(p) && typeof p.id === 'string', 'probe without id');
    const probe = p as { [key: string]: Json };
    need(
      ['ok', 'skipped', 'error', 'timeout', 'cancelled'].includes(String(probe.status)),
      `probe ${probe.id} status`,
    );
    checkFigures(probe.figures, `probe ${probe.id} figures`);
    need(Array.isArray(probe.tables) && Array.isArray(probe.curves), `probe ${probe.id} tables/curves`);
    const b = probe.backend;
    if (b !== undefined) {
      need(isObject(b) && typeof b.name === 'string', `probe ${probe.id} backend.name`);
      const fb = (b as { [key: string]: Json }).fallback;
      if (fb !== undefined)
        need(
          isObject(fb) && typeof fb.from === 'string' && typeof fb.reason === 'string',
          `probe ${probe.id} backend.fallback`,
        );
    }
  }
}

/** Throws ReportParseError unless `v` is a list of findings. */
export function checkFindings(v: unknown): void {
  need(Array.isArray(v), 'findings must be an array');
  for (const f of v as Json[]) {
    need(isObject(f) && ['error', 'warning', 'info'].includes(String(f.severity)), 'finding severity');
    need(typeof (f as { [key: string]: Json }).message === 'string', 'finding message');
  }
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
