/** Runs the rules over one file's IR: configuration, inline suppressions, fixes, ordering. */
import { type BoundsMap, computeBounds } from '../bounds';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { FileIr, ModelNode, SourceRange } from '../ir/model-ir';
import { plural } from '../report/plural';
import { allRules } from './all-rules';
import {
  type Finding,
  type RelatedInfo,
  type ReportDescriptor,
  type RuleModule,
  renderMessage,
  SEVERITIES,
  type Severity,
} from './rule';
import { disableEdit, SourceText } from './source-text';

export type RuleSetting = 'off' | Severity | [Severity | 'off'] | [Severity | 'off', Record<string, unknown>];

export interface LintOptions {
  /** Per rule: off, a severity that overrides the rule's graded one, or [severity, options]. */
  rules?: Record<string, RuleSetting>;
  /** Precomputed bounds (the server shares them with hovers); computed here otherwise. */
  bounds?: BoundsMap;
  /**
   * The text of another file a finding points into (a layer written in an imported helper); read from disk when
   * not given. The language server passes its open documents.
   */
  sourceOf?: (file: string) => string | undefined;
  /** The rule set (tests pass a single rule); all rules by default. */
  ruleSet?: Readonly<Record<string, RuleModule>>;
}

/** Thrown for configuration mistakes, so the CLI can exit 2 with the message. */
export class RuleConfigError extends Error {}

interface Resolved {
  rule: RuleModule;
  severity?: Severity;
  options: unknown;
}

function resolve(id: string, rule: RuleModule, setting: RuleSetting | undefined): Resolved | undefined {
  const [level, userOptions] = Array.isArray(setting) ? setting : [setting, undefined];
  if (level === 'off') return undefined;
  if (level !== undefined && !SEVERITIES.includes(level)) {
    throw new RuleConfigError(
      `${id}: unknown severity '${String(level)}' (use off, ${SEVERITIES.join(', ')})`,
    );
  }
  const schema = rule.meta.schema;
  for (const [key, value] of Object.entries(userOptions ?? {})) {
    const prop = schema?.properties[key];
    if (prop === undefined) throw new RuleConfigError(`${id}: unknown option '${key}'`);
    if (typeof value !== prop.type)
      throw new RuleConfigError(`${id}: option '${key}' must be a ${prop.type}`);
  }
  const options = { ...(rule.meta.defaultOptions ?? {}), ...(userOptions ?? {}) };
  return level === undefined ? { rule, options } : { rule, severity: level, options };
}

/**
 * Throws the RuleConfigError lintFile would throw for this rule's setting (unknown severity or option, wrong
 * option type), so callers that must not fail (the language server) can check each rule up front.
 */
export function checkRuleSetting(id: string, rule: RuleModule, setting: RuleSetting): void {
  resolve(id, rule, setting);
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/** Whether `a` is more severe than `b`. */
export function moreSevere(a: Severity, b: Severity): boolean {
  return RANK[a] < RANK[b];
}

/** How many intent signals a finding carries as related information. */
const INTENT_SIGNALS = 2;

const where = (model: ModelNode | undefined): string => (model ? `in '${model.name}'` : 'elsewhere');

function intentRelated(model: ModelNode): RelatedInfo[] {
  return model.intent.signals.slice(0, INTENT_SIGNALS).map((sig) => ({
    message: `'${model.name}' is ${model.intent.kind}: ${sig.message}`,
    range: sig.range,
  }));
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Lints one file. Findings sit where the flagged code is written: a layer created by a helper in another file
 * is reported in that file (its `range.file`, with fixes and disable comments for that file), and the linted
 * file gets one information finding per call site that leads there, naming those layers. Route findings by
 * `range.file` (see `mergeFindings`).
 */
export function lintFile(fileIr: FileIr, sourceText: string, options: LintOptions = {}): Finding[] {
  const ruleSet = options.ruleSet ?? allRules;
  for (const id of Object.keys(options.rules ?? {})) {
    if (allRules[id] === undefined && ruleSet[id] === undefined)
      throw new RuleConfigError(`unknown rule '${id}'`);
  }
  const source = new SourceText(sourceText);
  const bounds = options.bounds ?? computeBounds(fileIr);
  const files = new Map<string, { source: SourceText; suppressed: Suppressions } | null>();
  files.set(fileIr.file, { source, suppressed: parseSuppressions(source) });
  const fileOf = (file: string): { source: SourceText; suppressed: Suppressions } | undefined => {
    let f = files.get(file);
    if (f === undefined) {
      const text = (options.sourceOf ?? readText)(file);
      const st = text === undefined ? undefined : new SourceText(text);
      f = st ? { source: st, suppressed: parseSuppressions(st) } : null;
      files.set(file, f);
    }
    return f ?? undefined;
  };
  const sourceFor = (range: SourceRange): SourceText => fileOf(range.file)?.source ?? source;
  const byPos = new Map<string, { finding: Finding; model: string | undefined }[]>();
  const all = new Set<Finding>();
  /** For findings placed in another file: the call site in this file that leads to them. */
  const siteOf = new Map<Finding, SourceRange>();
  for (const [id, module] of Object.entries(ruleSet)) {
    const resolved = resolve(id, module, options.rules?.[id]);
    if (resolved === undefined) continue;
    const { rule } = resolved;
    const messages: Record<string, string> = rule.meta.messages;
    const report = (d: ReportDescriptor<string>): void => {
      const template = messages[d.messageId];
      if (template === undefined) throw new Error(`${id}: unknown messageId '${d.messageId}'`);
      const range = d.range ?? d.node?.range;
      if (range === undefined) throw new Error(`${id}: report without node or range`);
      const file = fileOf(range.file);
      // A finding in a file that cannot be read cannot be placed, fixed or suppressed: never shown elsewhere.
      if (file === undefined || file.suppressed.has(id, range.start.line)) return;
      const severity = resolved.severity ?? d.severity ?? rule.meta.defaultSeverity;
      const message = renderMessage(template, d.data);
      const related = [...(d.related ?? []), ...(d.model ? intentRelated(d.model) : [])];
      // One finding per rule and position: a layer reached through several models keeps its most severe
      // placement, the others become related information. Different problems of one node in one model (a dense
      // layer with relu that also changes the dimension) stay separate findings.
      const pos = `${id}:${range.file}:${range.start.line}:${range.start.character}`;
      const atPos = byPos.get(pos) ?? [];
      const modelId = d.model?.id;
      if (atPos.some((e) => e.model === modelId && e.finding.messageId === d.messageId)) return;
      const other = atPos.find((e) => e.model !== modelId);
      if (other && !moreSevere(severity, other.finding.severity)) {
        other.finding.related.push({ message: `also ${where(d.model)} (${severity}): ${message}`, range });
        return;
      }
      const finding: Finding = {
        ruleId: id,
        messageId: d.messageId,
        message,
        severity,
        range,
        related: other
          ? [...related, { message: `also (${other.finding.severity}): ${other.finding.message}`, range }]
          : related,
        ...(d.fix ? { fix: d.fix } : {}),
        suggestions: [
          ...(d.suggestions ?? []),
          { title: `Disable ${id} for this line`, edits: [disableEdit(file.source, range.start.line, id)] },
        ],
      };
      if (other) {
        all.delete(other.finding);
        other.finding = finding;
        other.model = modelId;
      } else atPos.push({ finding, model: modelId });
      byPos.set(pos, atPos);
      all.add(finding);
      if (range.file !== fileIr.file) {
        const site = d.via ?? (d.node && 'via' in d.node ? d.node.via : undefined) ?? d.model?.range;
        if (site && site.file === fileIr.file) siteOf.set(finding, site);
      }
    };
    rule.check({ fileIr, source, sourceFor, bounds, options: resolved.options, report });
  }
  const findings = [...all];
  const uses = new Map<string, { site: SourceRange; findings: Finding[] }>();
  for (const f of findings) {
    const site = siteOf.get(f);
    if (!site) continue;
    const k = `${site.start.line}:${site.start.character}`;
    const use = uses.get(k) ?? { site, findings: [] };
    use.findings.push(f);
    uses.set(k, use);
  }
  const here = files.get(fileIr.file)!;
  for (const { site, findings: elsewhere } of uses.values()) {
    const use = useFinding(site, elsewhere, source);
    if (!here.suppressed.has(use.ruleId, site.start.line)) findings.push(use);
  }
  return findings.sort(
    (a, b) =>
      a.range.file.localeCompare(b.range.file) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      a.ruleId.localeCompare(b.ruleId),
  );
}

/** The one finding at a call site whose callee creates flagged layers in another file. */
function useFinding(site: SourceRange, elsewhere: Finding[], source: SourceText): Finding {
  const worst = elsewhere.reduce((a, b) => (moreSevere(b.severity, a.severity) ? b : a));
  const file = basename(worst.range.file);
  const lines = [...new Set(elsewhere.map((f) => f.range.start.line + 1))].sort((a, b) => a - b);
  const counts = SEVERITIES.map((sev) => [sev, elsewhere.filter((f) => f.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sev, n]) => plural(n, sev));
  return {
    ruleId: worst.ruleId,
    messageId: 'findingsElsewhere',
    message: `Layers this call builds in ${file} have ${counts.join(', ')}. They are written there at line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}.`,
    severity: 'info',
    range: site,
    related: elsewhere.map((f) => ({ message: `${f.severity}: ${f.message}`, range: f.range })),
    suggestions: [
      {
        title: `Disable ${worst.ruleId} for this line`,
        edits: [disableEdit(source, site.start.line, worst.ruleId)],
      },
    ],
  };
}

/**
 * Findings of several lint runs, routed to one file: those placed in `file`, one per rule and position, the
 * most severe kept (a layer in a helper file is linted with the file and with every file that uses it).
 */
export function mergeFindings(file: string, runs: readonly (readonly Finding[])[]): Finding[] {
  // Per rule and position, the run with the most severe finding there wins, with all its findings there: one
  // layer reached by several models is shown once, but a layer with two problems (relu that also changes the
  // dimension) keeps both.
  const best = new Map<string, { severity: Severity; findings: Finding[] }>();
  for (const run of runs) {
    const here = new Map<string, Finding[]>();
    for (const f of run) {
      if (f.range.file !== file) continue;
      const key = `${f.ruleId}:${f.messageId === 'findingsElsewhere' ? 'use:' : ''}${f.range.start.line}:${f.range.start.character}`;
      here.set(key, [...(here.get(key) ?? []), f]);
    }
    for (const [key, list] of here) {
      const severity = list.reduce<Severity>((s, f) => (moreSevere(f.severity, s) ? f.severity : s), 'hint');
      const prior = best.get(key);
      if (!prior || moreSevere(severity, prior.severity)) best.set(key, { severity, findings: list });
    }
  }
  return [...best.values()]
    .flatMap((b) => b.findings)
    .sort(
      (a, b) =>
        a.range.start.line - b.range.start.line ||
        a.range.start.character - b.range.start.character ||
        a.ruleId.localeCompare(b.ruleId),
    );
}

export interface Suppressions {
  has(ruleId: string, line: number): boolean;
}

const ALL = '*';

/**
 * `// lipschitz-lens-disable-next-line a, b`, `// lipschitz-lens-disable-line a` and
 * `/* lipschitz-lens-disable a *\/` (whole file); no ids means every rule; `-- reason` is ignored, as in ESLint.
 */
export function parseSuppressions(source: SourceText): Suppressions {
  const byLine = new Map<number, Set<string>>();
  const file = new Set<string>();
  const ids = (list: string | undefined): string[] => {
    const names = (list ?? '')
      .split('--')[0]!
      .split(/[\s,]+/)
      .filter((s) => s.length > 0);
    return names.length === 0 ? [ALL] : names;
  };
  const add = (line: number, list: string | undefined): void => {
    const set = byLine.get(line) ?? new Set<string>();
    for (const id of ids(list)) set.add(id);
    byLine.set(line, set);
  };
  const re =
    /\/\/\s*lipschitz-lens-disable-(next-line|line)\b([^\n]*)|\/\*\s*lipschitz-lens-disable(-next-line|-line)?\b([\s\S]*?)\*\//g;
  for (const m of source.text.matchAll(re)) {
    const line = source.positionAt(m.index).line;
    const kind = m[1] ?? m[3];
    const list = m[1] !== undefined ? m[2] : m[4];
    if (kind === 'next-line' || kind === '-next-line') add(line + 1, list);
    else if (kind === 'line' || kind === '-line') add(line, list);
    else for (const id of ids(list)) file.add(id);
  }
  return {
    has(ruleId, line) {
      if (file.has(ALL) || file.has(ruleId)) return true;
      const set = byLine.get(line);
      return set !== undefined && (set.has(ALL) || set.has(ruleId));
    },
  };
}
