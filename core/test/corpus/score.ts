/**
 * Scoring of the linter against the annotated corpus (corpus/README.md): reading the `// expect:` annotations,
 * linting every corpus file with routing by `finding.range.file`, and precision/recall as the issue 9 plan defines
 * them. Shared by core/test/corpus/corpus.test.ts and bench/corpus.bench.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelExtractor } from '../../src/extract';
import { lintFile } from '../../src/rules';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** Rule ids an annotation may name: the documented rules plus unbounded-inverse-gain (issue 9 contract). */
export const KNOWN_RULE_IDS: ReadonlySet<string> = new Set([
  'missing-lipschitz-constraint',
  'column-norm-not-spectral',
  'residual-coefficient-too-large',
  'unbounded-coupling-scale',
  'batchnorm-in-invertible',
  'non-invertible-op-in-flow',
  'custom-layer-missing-inverse',
  'non-lipschitz-activation',
  'unbounded-inverse-gain',
]);

const SEVERITIES: readonly Severity[] = ['hint', 'info', 'warning', 'error'];
const SOURCE = /\.(ts|tsx|js|jsx|mjs|cjs)$/;

/** One expected finding: corpus-relative posix path, 1-based line. */
export interface Expectation {
  file: string;
  line: number;
  ruleId: string;
  severity: Severity;
}

/** One actual finding after routing and deduplication: corpus-relative posix path, 1-based line. */
export interface Actual {
  file: string;
  line: number;
  ruleId: string;
  severity: Severity;
  message: string;
}

export interface FileScore {
  file: string;
  expected: number;
  matched: number;
  actualErrorsWarnings: number;
  falsePositives: number;
}

export interface Miss {
  expectation: Expectation;
  /** What the linter reported for the same rule and line, if anything (wrong severity band). */
  got?: Actual;
}

export interface FalsePositive {
  actual: Actual;
  /** The annotation for the same rule and line, if any (wrong exact severity). */
  expected?: Expectation;
}

export interface Score {
  precision: number;
  recall: number;
  /** actual error/warning findings matching an expectation with the same rule, line and exact severity */
  truePositives: number;
  actualErrorsWarnings: number;
  matchedExpectations: number;
  expectations: number;
  falsePositives: FalsePositive[];
  misses: Miss[];
  perFile: FileScore[];
  /** recall per severity band of the expectation */
  byBand: Record<Band, { expected: number; matched: number }>;
}

export type Band = 'error' | 'warning' | 'info';

export class AnnotationError extends Error {}

const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);
/** error and warning are bands of their own; info and hint are one band. */
const band = (s: Severity): Band => (s === 'hint' ? 'info' : s);
const key = (file: string, ruleId: string, line: number): string => `${file}\u0000${ruleId}\u0000${line}`;

/**
 * Reads `// expect: rule@severity[, rule@severity]` (trailing: the finding starts on this line) and
 * `// expect-next-line: ...` (alone on its line: the finding starts on the next line). Malformed annotations,
 * unknown rule ids and a rule annotated twice on one line throw, so a typo cannot silently drop an expectation.
 */
export function parseExpectations(text: string, file: string): Expectation[] {
  const out: Expectation[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((lineText, i) => {
    const m = /\/\/\s*expect(-next-line)?:(.*)$/.exec(lineText);
    if (!m) return;
    const nextLine = m[1] !== undefined;
    if (nextLine && lineText.slice(0, m.index).trim() !== '') {
      throw new AnnotationError(`${file}:${i + 1}: expect-next-line must stand on its own line`);
    }
    const line = nextLine ? i + 2 : i + 1;
    const items = m[2]!.split(',').map((s) => s.trim());
    if (items.length === 0 || items.some((s) => s === '')) {
      throw new AnnotationError(`${file}:${i + 1}: empty item in '${m[0]}'`);
    }
    for (const item of items) {
      const im = /^([a-z0-9-]+)@([a-z]+)$/.exec(item);
      if (!im || !SEVERITIES.includes(im[2] as Severity)) {
        throw new AnnotationError(`${file}:${i + 1}: '${item}' is not <rule-id>@<error|warning|info|hint>`);
      }
      const ruleId = im[1]!;
      if (!KNOWN_RULE_IDS.has(ruleId)) throw new AnnotationError(`${file}:${i + 1}: unknown rule id '${ruleId}'`);
      const k = key(file, ruleId, line);
      if (seen.has(k)) throw new AnnotationError(`${file}:${i + 1}: ${ruleId} annotated twice for line ${line}`);
      seen.add(k);
      out.push({ file, line, ruleId, severity: im[2] as Severity });
    }
  });
  return out;
}

/** Every source file under dir, sorted, as absolute paths. */
export function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/** Corpus-relative posix path of a finding's file, or undefined when it lies outside the corpus. */
function corpusRelative(corpusDir: string, rootDir: string, file: string): string | undefined {
  const abs = file.startsWith('file://') ? fileURLToPath(file) : isAbsolute(file) ? file : resolve(rootDir, file);
  const rel = relative(corpusDir, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return toPosix(rel);
}

/**
 * Routes and deduplicates raw findings: each goes to the file named by its range, findings outside the corpus are
 * dropped, and one finding per (file, rule, line) is kept, the most severe.
 */
/** The part of a linter finding the scorer reads. */
export interface RawFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  range: { file: string; start: { line: number } };
}

export function routeFindings(
  findings: Iterable<RawFinding>,
  corpusDir: string,
  rootDir: string,
): Actual[] {
  const kept = new Map<string, Actual>();
  for (const f of findings) {
    const file = corpusRelative(corpusDir, rootDir, f.range.file);
    if (file === undefined) continue;
    const line = f.range.start.line + 1;
    const k = key(file, f.ruleId, line);
    const prev = kept.get(k);
    if (!prev || severityRank(f.severity) > severityRank(prev.severity)) {
      kept.set(k, { file, line, ruleId: f.ruleId, severity: f.severity, message: f.message });
    }
  }
  return [...kept.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.ruleId.localeCompare(b.ruleId));
}

export interface CorpusRun {
  files: string[];
  expectations: Expectation[];
  actual: Actual[];
  /** files whose extraction or linting threw, with the error message */
  crashes: { file: string; error: string }[];
}

/** Lints every corpus file with one extractor (so cross-file helpers resolve) and reads every annotation. */
export function lintCorpus(corpusDir: string, rootDir: string): CorpusRun {
  const files = corpusFiles(corpusDir);
  const extractor = new ModelExtractor({ rootDir });
  const expectations: Expectation[] = [];
  const raw: RawFinding[] = [];
  const crashes: CorpusRun['crashes'] = [];
  for (const abs of files) {
    const text = readFileSync(abs, 'utf8');
    const rel = toPosix(relative(corpusDir, abs));
    expectations.push(...parseExpectations(text, rel));
    try {
      raw.push(...lintFile(extractor.extractFile(abs), text));
    } catch (e) {
      crashes.push({ file: rel, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
  return {
    files: files.map((f) => toPosix(relative(corpusDir, f))),
    expectations,
    actual: routeFindings(raw, corpusDir, rootDir),
    crashes,
  };
}

/**
 * precision = actual error/warning findings matching an expectation with the same file, rule, line and exact
 * severity / all actual error/warning findings (1 when there are none).
 * recall = expectations matched by an actual finding with the same file, rule and line in the same band (error,
 * warning, info+hint) / all expectations (1 when there are none). Un-annotated info/hint findings are ignored.
 */
export function score(expectations: Expectation[], actual: Actual[], files: string[] = []): Score {
  const expByKey = new Map(expectations.map((e) => [key(e.file, e.ruleId, e.line), e]));
  const actByKey = new Map(actual.map((a) => [key(a.file, a.ruleId, a.line), a]));
  const perFile = new Map<string, FileScore>();
  const fileScore = (file: string): FileScore => {
    let s = perFile.get(file);
    if (!s) {
      s = { file, expected: 0, matched: 0, actualErrorsWarnings: 0, falsePositives: 0 };
      perFile.set(file, s);
    }
    return s;
  };
  for (const f of files) fileScore(f);

  const misses: Miss[] = [];
  const byBand: Score['byBand'] = {
    error: { expected: 0, matched: 0 },
    warning: { expected: 0, matched: 0 },
    info: { expected: 0, matched: 0 },
  };
  let matchedExpectations = 0;
  for (const e of expectations) {
    const fs = fileScore(e.file);
    fs.expected++;
    byBand[band(e.severity)].expected++;
    const got = actByKey.get(key(e.file, e.ruleId, e.line));
    if (got && band(got.severity) === band(e.severity)) {
      matchedExpectations++;
      fs.matched++;
      byBand[band(e.severity)].matched++;
    } else {
      misses.push(got ? { expectation: e, got } : { expectation: e });
    }
  }

  const falsePositives: FalsePositive[] = [];
  let truePositives = 0;
  let actualErrorsWarnings = 0;
  for (const a of actual) {
    if (a.severity !== 'error' && a.severity !== 'warning') continue;
    actualErrorsWarnings++;
    const fs = fileScore(a.file);
    fs.actualErrorsWarnings++;
    const expected = expByKey.get(key(a.file, a.ruleId, a.line));
    if (expected && expected.severity === a.severity) {
      truePositives++;
    } else {
      fs.falsePositives++;
      falsePositives.push(expected ? { actual: a, expected } : { actual: a });
    }
  }

  return {
    precision: actualErrorsWarnings === 0 ? 1 : truePositives / actualErrorsWarnings,
    recall: expectations.length === 0 ? 1 : matchedExpectations / expectations.length,
    truePositives,
    actualErrorsWarnings,
    matchedExpectations,
    expectations: expectations.length,
    falsePositives,
    misses,
    perFile: [...perFile.values()].sort((a, b) => a.file.localeCompare(b.file)),
    byBand,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function formatMisses(s: Score): string {
  return s.misses
    .map(({ expectation: e, got }) => {
      const seen = got ? `got ${got.severity}: ${got.message}` : 'not reported';
      return `  ${e.file}:${e.line}  ${e.ruleId}@${e.severity}  (${seen})`;
    })
    .join('\n');
}

export function formatFalsePositives(s: Score): string {
  return s.falsePositives
    .map(({ actual: a, expected }) => {
      const note = expected ? `annotated ${expected.severity}` : 'not annotated';
      return `  ${a.file}:${a.line}  ${a.ruleId}@${a.severity}  (${note}) ${a.message}`;
    })
    .join('\n');
}

export function formatSummary(s: Score): string {
  return (
    `precision ${pct(s.precision)} (${s.truePositives}/${s.actualErrorsWarnings} error/warning findings expected), ` +
    `recall ${pct(s.recall)} (${s.matchedExpectations}/${s.expectations} expectations found)`
  );
}

export function formatBands(s: Score): string {
  return (Object.entries(s.byBand) as [Band, { expected: number; matched: number }][])
    .map(([b, { expected, matched }]) => `${b === 'info' ? 'info+hint' : b} ${matched}/${expected}`)
    .join(', ');
}

export function formatPerFile(s: Score): string {
  const width = Math.max(4, ...s.perFile.map((f) => f.file.length));
  const head = `${'file'.padEnd(width)}  expected  found  recall  err/warn  false+  precision`;
  const rows = s.perFile.map((f) => {
    const recall = f.expected === 0 ? '-' : pct(f.matched / f.expected);
    const precision = f.actualErrorsWarnings === 0 ? '-' : pct((f.actualErrorsWarnings - f.falsePositives) / f.actualErrorsWarnings);
    return (
      `${f.file.padEnd(width)}  ${String(f.expected).padStart(8)}  ${String(f.matched).padStart(5)}  ${recall.padStart(6)}` +
      `  ${String(f.actualErrorsWarnings).padStart(8)}  ${String(f.falsePositives).padStart(6)}  ${precision.padStart(9)}`
    );
  });
  return [head, ...rows].join('\n');
}
