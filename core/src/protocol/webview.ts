/**
 * Messages between the extension (or the standalone HTML shim) and the report webview. Both directions are
 * discriminated unions on `type`, and each side validates what arrives with a guard: a webview message is
 * untrusted input (it could come from any script running in the page).
 */
import type { Thresholds } from '../monitor/summary';
import type { Report } from '../report/schema';

export interface WebviewPosition {
  line: number;
  character: number;
}
export interface WebviewRange {
  start: WebviewPosition;
  end: WebviewPosition;
}

/**
 * A model's top-level block with its static bounds (from the server's bound calculus), shown beside the
 * measured constants. Bounds are numbers or `unbounded`/`unknown`.
 */
export interface StaticBlockBound {
  /** The block's name: the one the code gives it, else a generated `block_<n>` (see report/static-bounds.ts). */
  label: string;
  /** What the block is (`dense`, `residual`, `AffineCoupling`), shown beside the name; absent in older reports. */
  kind?: string;
  forward: number | string;
  inverse: number | string;
  source: string;
  file?: string;
  range?: WebviewRange;
}

/** Element ids of the JSON a standalone report page embeds instead of receiving messages. */
export const EMBEDDED_REPORT_ID = 'lipschitz-lens-report';
export const EMBEDDED_STATIC_BOUNDS_ID = 'lipschitz-lens-static-bounds';
/** A standalone comparison page (`lipschitz-lens reproduce`) embeds its comparison under this id. */
export const EMBEDDED_COMPARISON_ID = 'lipschitz-lens-comparison';
/** A standalone training-run page (`lipschitz-lens monitor --html`): the run file's text and the thresholds. */
export const EMBEDDED_RUN_ID = 'lipschitz-lens-run';

export function isStaticBlockBound(v: unknown): v is StaticBlockBound {
  const bound = (b: unknown): boolean => typeof b === 'number' || typeof b === 'string';
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as StaticBlockBound).label === 'string' &&
    bound((v as StaticBlockBound).forward) &&
    bound((v as StaticBlockBound).inverse) &&
    typeof (v as StaticBlockBound).source === 'string'
  );
}

/**
 * One training run for the monitor view: the run file's text as read so far (a trailing partial line included),
 * parsed on the rendering side by parseRunFile, so the run file's version check lives in one place as the
 * report's does. `id` names the run in messages back (the file's URI); `label` is what the page shows;
 * `thresholds` are the ones the editor alerts on for this run where the settings set them; absent, the run's own.
 */
export interface RunText {
  id: string;
  label: string;
  text: string;
  thresholds?: Thresholds;
}

/** Extension -> webview. */
export type ToWebview =
  | { type: 'report'; report: Report; title?: string; staticBounds?: StaticBlockBound[] }
  | { type: 'runs'; runs: RunText[] }
  | { type: 'clear'; message: string };

/** Webview -> extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; file: string; range: WebviewRange }
  | { type: 'reveal-block'; run: string; block: string }
  | { type: 'export'; format: 'json' | 'html' };

/** What the webview keeps across reloads with `setState`. */
export interface WebviewState {
  report?: Report;
  staticBounds?: StaticBlockBound[];
  title?: string;
  tab?: string;
  /** The training monitor's shown runs (their ids, run file URIs), reopened after a reload. */
  runs?: string[];
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPosition(v: unknown): v is WebviewPosition {
  return (
    isRecord(v) &&
    Number.isInteger(v.line) &&
    Number.isInteger(v.character) &&
    (v.line as number) >= 0 &&
    (v.character as number) >= 0
  );
}

export function isRange(v: unknown): v is WebviewRange {
  return isRecord(v) && isPosition(v.start) && isPosition(v.end);
}

export function isFromWebview(v: unknown): v is FromWebview {
  if (!isRecord(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'reveal':
      return typeof v.file === 'string' && v.file.length > 0 && isRange(v.range);
    case 'reveal-block':
      return (
        typeof v.run === 'string' && v.run.length > 0 && typeof v.block === 'string' && v.block.length > 0
      );
    case 'export':
      return v.format === 'json' || v.format === 'html';
    default:
      return false;
  }
}

function isRunText(v: unknown): v is RunText {
  return (
    isRecord(v) &&
    typeof v.id === 'string' &&
    typeof v.label === 'string' &&
    typeof v.text === 'string' &&
    (v.thresholds === undefined || isThresholds(v.thresholds))
  );
}

/** Positive finite thresholds only: a NaN threshold would silently never fire. */
export function isThresholds(v: unknown): v is Thresholds {
  const ok = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  return isRecord(v) && ok(v.inverse) && ok(v.reconstruction);
}

/**
 * Checks the envelope only: the report itself is validated by the report schema's parser on the side that
 * renders it, so the version check lives in one place.
 */
export function isToWebview(v: unknown): v is ToWebview {
  if (!isRecord(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'report':
      return (
        isRecord(v.report) &&
        (v.title === undefined || typeof v.title === 'string') &&
        (v.staticBounds === undefined || Array.isArray(v.staticBounds))
      );
    case 'runs':
      return Array.isArray(v.runs) && v.runs.every(isRunText);
    case 'clear':
      return typeof v.message === 'string';
    default:
      return false;
  }
}

export type Verdict = 'stable' | 'warnings' | 'unstable' | 'failed' | 'partial';

/**
 * One word for a report, for the status bar and the panel's header: the worst finding decides, and a report
 * that did not complete says so rather than looking stable.
 */
export function reportVerdict(report: Pick<Report, 'status' | 'findings'>): Verdict {
  if (report.status === 'failed') return 'failed';
  if (report.findings.some((f) => f.severity === 'error')) return 'unstable';
  if (report.findings.some((f) => f.severity === 'warning')) return 'warnings';
  return report.status === 'partial' ? 'partial' : 'stable';
}

const VERDICT_WORDS: Record<Verdict, string> = {
  stable: 'looks stable',
  warnings: 'has warnings',
  unstable: 'is unstable',
  failed: 'audit failed',
  partial: 'partly audited',
};

/**
 * The verdict as a phrase that says what was judged: on fresh weights the architecture, not a trained model
 * ("architecture looks stable (fresh weights)"); for an ordinary model or a critic, the forward map only.
 */
export function verdictText(report: Pick<Report, 'status' | 'findings' | 'provenance' | 'intent'>): string {
  const verdict = reportVerdict(report);
  if (verdict === 'failed') return VERDICT_WORDS.failed;
  const subject = report.provenance.weights.kind === 'fresh' ? 'architecture' : 'model';
  const scope =
    report.intent.kind === 'ordinary' || report.intent.kind === 'lipschitz' ? ', forward map only' : '';
  const fresh = {
    fresh: 'fresh weights',
    checkpoint: 'checkpoint weights',
    'module-loaded': 'weights the module loads',
  }[report.provenance.weights.kind];
  return `${subject} ${VERDICT_WORDS[verdict]} (${fresh}${scope})`;
}
