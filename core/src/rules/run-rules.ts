/** Runs the rules over one file's IR: configuration, inline suppressions, fixes, ordering. */
import { type BoundsMap, computeBounds } from '../bounds';
import type { FileIr } from '../ir/model-ir';
import { allRules } from './all-rules';
import {
  type Finding,
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

export function lintFile(fileIr: FileIr, sourceText: string, options: LintOptions = {}): Finding[] {
  const ruleSet = options.ruleSet ?? allRules;
  for (const id of Object.keys(options.rules ?? {})) {
    if (allRules[id] === undefined && ruleSet[id] === undefined)
      throw new RuleConfigError(`unknown rule '${id}'`);
  }
  const source = new SourceText(sourceText);
  const bounds = options.bounds ?? computeBounds(fileIr);
  const suppressed = parseSuppressions(source);
  const findings: Finding[] = [];
  const seen = new Set<string>();
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
      if (suppressed.has(id, range.start.line)) return;
      // One finding per rule, message and position: a custom class used by two models reports once.
      const key = `${id}:${d.messageId}:${range.start.line}:${range.start.character}`;
      if (seen.has(key)) return;
      seen.add(key);
      findings.push({
        ruleId: id,
        messageId: d.messageId,
        message: renderMessage(template, d.data),
        severity: resolved.severity ?? d.severity ?? rule.meta.defaultSeverity,
        range,
        related: d.related ?? [],
        ...(d.fix ? { fix: d.fix } : {}),
        suggestions: [
          ...(d.suggestions ?? []),
          { title: `Disable ${id} for this line`, edits: [disableEdit(source, range.start.line, id)] },
        ],
      });
    };
    rule.check({ fileIr, source, bounds, options: resolved.options, report });
  }
  return findings.sort(
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
