/**
 * `lipschitzLens.*` settings, pulled per resource (`workspace/configuration` with a scope URI) and cached by
 * URI until the client says they changed. Everything read is validated: a typo in settings.json must degrade to
 * the default, never throw on the keystroke path.
 */

import { AUDIT_DEFAULTS } from '../../core/src/protocol/worker-messages';

export type RuleLevel = 'off' | 'hint' | 'info' | 'warning' | 'error';
/** A level, or `[level, options]` (options as the rule's docs page lists them; checked against its schema later). */
export type RuleConfig = RuleLevel | [RuleLevel, Record<string, unknown>];
export type BackendPreference = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface ProbeSettings {
  /** Wall-clock budget of one model's audit. */
  budgetSeconds: number;
  /** The worker is stopped when the model's process uses more (heap or resident size). */
  memoryCapMB: number;
  /** Probe points per audit. */
  points: number;
  seed: number;
  /** Probe ids to run; empty means the engine's default set. */
  probes: string[];
  /** Overrides of the probe engine's settings (iterations, scales, ...), passed through as given. */
  options: Record<string, ProbeOption>;
}

export type ProbeOption = number | string | boolean | number[];

export interface LensSettings {
  enable: boolean;
  /** Per-rule level (and option) overrides; rules not listed keep the rule's own grading. */
  rules: Record<string, RuleConfig>;
  /** Files larger than this are skipped with one info diagnostic. */
  maxFileSizeMB: number;
  lintDelayMs: number;
  probes: ProbeSettings;
  /** Audits running at once, each in its own worker process; more wait in a queue. */
  concurrentAudits: number;
  backend: BackendPreference;
  /** Model name -> checkpoint (model.json) path, relative to the workspace folder. */
  checkpoints: Record<string, string>;
}

export const DEFAULT_SETTINGS: LensSettings = {
  enable: true,
  rules: {},
  maxFileSizeMB: 2,
  lintDelayMs: 250,
  // The CLI's defaults too, so editor and CI audit alike.
  probes: { ...AUDIT_DEFAULTS, probes: [], options: {} },
  concurrentAudits: 1,
  backend: 'auto',
  checkpoints: {},
};

const LEVELS: readonly RuleLevel[] = ['off', 'hint', 'info', 'warning', 'error'];
const BACKENDS: readonly BackendPreference[] = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function num(v: unknown, fallback: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

function isLevel(v: unknown): v is RuleLevel {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

/**
 * One `lipschitzLens.rules` entry: a level, or `[level]` / `[level, {options}]`. A bad level drops the entry (the
 * rule keeps its own grading); bad options keep the level with the rule's default options. Either way `warn` says.
 */
function ruleConfig(id: string, v: unknown, warn: (message: string) => void): RuleConfig | undefined {
  const [level, options] = Array.isArray(v) ? v : [v, undefined];
  if (!isLevel(level) || (Array.isArray(v) && v.length > 2)) {
    warn(
      `lipschitzLens.rules.${id}: expected a level (${LEVELS.join(', ')}) or [level, {options}], got ${JSON.stringify(v)}; the rule keeps its defaults`,
    );
    return undefined;
  }
  if (options === undefined) return level;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    warn(
      `lipschitzLens.rules.${id}: options must be an object, got ${JSON.stringify(options)}; using the defaults`,
    );
    return level;
  }
  return [level, { ...(options as Record<string, unknown>) }];
}

/** Turns whatever the client sent into valid settings, field by field; `warn` hears about dropped rule settings. */
export function normalizeSettings(
  raw: unknown,
  warn: (message: string) => void = () => undefined,
): LensSettings {
  const r = record(raw);
  const d = DEFAULT_SETTINGS;
  const rules: Record<string, RuleConfig> = {};
  for (const [id, v] of Object.entries(record(r.rules))) {
    const config = ruleConfig(id, v, warn);
    if (config !== undefined) rules[id] = config;
  }
  const checkpoints: Record<string, string> = {};
  for (const [name, path] of Object.entries(record(r.checkpoints))) {
    if (typeof path === 'string' && path.length > 0) checkpoints[name] = path;
  }
  const p = record(r.probes);
  const probes = Array.isArray(p.probes) ? p.probes.filter((x): x is string => typeof x === 'string') : [];
  const options: Record<string, ProbeOption> = {};
  for (const [k, v] of Object.entries(record(p.options))) {
    const ok =
      ['number', 'string', 'boolean'].includes(typeof v) ||
      (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)));
    if (ok) options[k] = v as ProbeOption;
  }
  return {
    enable: typeof r.enable === 'boolean' ? r.enable : d.enable,
    rules,
    maxFileSizeMB: num(r.maxFileSizeMB, d.maxFileSizeMB, 0.01, 1024),
    lintDelayMs: num(r.lintDelayMs, d.lintDelayMs, 0, 10_000),
    probes: {
      budgetSeconds: num(p.budgetSeconds, d.probes.budgetSeconds, 1, 3600),
      // Below ~200 MB Node and tfjs alone would pass it.
      memoryCapMB: Math.round(num(p.memoryCapMB, d.probes.memoryCapMB, 256, 1024 * 1024)),
      points: Math.round(num(p.points, d.probes.points, 1, 100_000)),
      seed: Math.round(num(p.seed, d.probes.seed, 0, 2 ** 31)),
      probes,
      options,
    },
    concurrentAudits: Math.round(num(r.concurrentAudits, d.concurrentAudits, 1, 16)),
    backend:
      typeof r.backend === 'string' && (BACKENDS as readonly string[]).includes(r.backend)
        ? (r.backend as BackendPreference)
        : d.backend,
    checkpoints,
  };
}

/** Fetches the raw `lipschitzLens` section for a resource; undefined when the client cannot answer. */
export type SettingsFetcher = (uri: string) => Promise<unknown>;

export class SettingsCache {
  private readonly cache = new Map<string, Promise<LensSettings>>();

  /**
   * @param fetcher undefined when the client has no `workspace/configuration`: defaults are used.
   * @param warn hears about settings that were dropped, once per pull.
   */
  constructor(
    private readonly fetcher: SettingsFetcher | undefined,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  get(uri: string): Promise<LensSettings> {
    let hit = this.cache.get(uri);
    if (!hit) {
      const fetcher = this.fetcher;
      hit = fetcher
        ? fetcher(uri).then(
            (raw) => normalizeSettings(raw, this.warn),
            () => DEFAULT_SETTINGS,
          )
        : Promise.resolve(DEFAULT_SETTINGS);
      this.cache.set(uri, hit);
    }
    return hit;
  }

  /** After `workspace/didChangeConfiguration`: pull again on next use. */
  clear(): void {
    this.cache.clear();
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }
}
