/**
 * The one place the server calls the analysis core (extract -> rules, bounds). Each stage is guarded: broken
 * code, a throwing rule or a bounds bug costs that stage's output and a log line, never the server.
 */
import { type BoundsMap, CheckpointCache, computeBounds } from '../../core/src/bounds';
import { ModelExtractor } from '../../core/src/extract';
import { ModuleResolution } from '../../core/src/extract/module-resolution';
import type { FileIr } from '../../core/src/ir/model-ir';
import { allRules, checkRuleSetting, lintFile } from '../../core/src/rules';
import type { Finding, RuleModule } from '../../core/src/rules/rule';
import { describe } from './describe-error';
import type { RuleConfig } from './settings';

export interface FileAnalysis {
  path: string;
  /** Document version the analysis was made from; -1 for files read from disk (not put in the overlay). */
  version: number;
  fileIr?: FileIr;
  findings: Finding[];
  bounds: BoundsMap;
  /** Why the file was not analysed (too large, ...). */
  skipped?: string;
  /**
   * The text of every other file the extraction read, as it read it: findings it placed there are only valid
   * while that file still has this text.
   */
  reads: Map<string, string>;
}

export interface AnalyzeOptions {
  rules: Record<string, RuleConfig>;
  maxBytes: number;
}

export type Logger = (level: 'error' | 'warn' | 'info', message: string) => void;

export class Engine {
  /** Long-lived, so an edit re-parses one file instead of rebuilding the project. */
  private readonly extractor = new ModelExtractor();
  /** Rule-setting warnings already logged: settings are re-read on every lint, the log says each once. */
  private readonly warned = new Set<string>();
  /**
   * `@checkpoint` norms, read in the background and only inside the workspace folders (none until the store
   * sets them): the source naming a checkpoint may be untrusted, and a read must never hold up a request.
   */
  readonly checkpoints = new CheckpointCache({ roots: [] });

  /** Whether the packages fixes import resolve, under the same read roots as checkpoints. */
  private readonly modules = new ModuleResolution(() => this.checkpoints.roots);

  /** @param ruleSet every rule by default; tests pass their own. */
  constructor(
    private readonly log: Logger,
    private readonly ruleSet: Readonly<Record<string, RuleModule>> = allRules,
  ) {}

  /** Other files' text as the extractor read it, so fixes placed there match the ranges it extracted. */
  private readonly sourceOf = (file: string): string | undefined => this.extractor.textOf(file);

  /** A file's text as extraction sees it now: the open document's, else the disk copy. */
  textOf(path: string): string | undefined {
    try {
      return this.extractor.textOf(path);
    } catch {
      return undefined;
    }
  }

  analyze(path: string, text: string, version: number, options: AnalyzeOptions): FileAnalysis {
    const empty: FileAnalysis = { path, version, findings: [], bounds: new Map(), reads: new Map() };
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > options.maxBytes) {
      // Drop any earlier IR so a file that grew past the cap does not keep stale models around.
      this.remove(path);
      const mb = Number((options.maxBytes / 1024 / 1024).toPrecision(3));
      return {
        ...empty,
        skipped: `Lipschitz Lens skipped this file: ${(bytes / 1024 / 1024).toFixed(2)} MB is over the ${mb} MB limit (lipschitzLens.maxFileSizeMB).`,
      };
    }
    let fileIr: FileIr;
    try {
      // Open documents go into the extractor's overlay; files read for a workspace lint stay disk-backed so the
      // extractor notices later changes on disk by mtime.
      if (version >= 0) this.extractor.updateFile(path, text);
      fileIr = this.extractor.extractFile(path);
    } catch (e) {
      this.log('error', `extraction failed for ${path}: ${describe(e)}`);
      const why = e instanceof Error ? e.message : String(e);
      return { ...empty, skipped: `Lipschitz Lens could not analyse this file: ${why}` };
    }
    let bounds: BoundsMap = new Map();
    try {
      // Checkpoints are only looked up: one not read yet is read in the background, and is `pending` till then.
      bounds = computeBounds(fileIr, { checkpoints: (p) => this.checkpoints.lookup(p) });
    } catch (e) {
      this.log('error', `bounds failed for ${path}: ${describe(e)}`);
      tooDeep(fileIr, e, 'no bounds were computed');
    }
    const findings = this.lint(fileIr, text, this.usableRules(options.rules), bounds, path);
    this.markUnresolved(findings);
    const reads = new Map<string, string>();
    for (const p of fileIr.reads ?? []) {
      const t = this.textOf(p);
      if (t !== undefined) reads.set(p, t);
    }
    return { path, version, fileIr, findings, bounds, reads };
  }

  /** Notes on each fix the packages it imports that do not resolve from the file it edits. */
  private markUnresolved(findings: Finding[]): void {
    for (const f of findings) {
      for (const fix of [f.fix, ...f.suggestions]) {
        if (!fix?.requires?.length) continue;
        try {
          const missing = fix.requires.filter((m) => !this.modules.resolves(f.range.file, m));
          if (missing.length > 0) fix.unresolved = missing;
        } catch (e) {
          this.log('warn', `module resolution failed for ${f.range.file}: ${describe(e)}`);
          fix.unresolved = fix.requires;
        }
      }
    }
  }

  /**
   * All rules in one pass; when that throws, each rule alone, so one broken rule costs only its own findings.
   * The retry only happens on failure, so the keystroke path pays for one pass.
   */
  private lint(
    fileIr: FileIr,
    text: string,
    rules: Record<string, RuleConfig>,
    bounds: BoundsMap,
    path: string,
  ): Finding[] {
    try {
      return lintFile(fileIr, text, { rules, bounds, ruleSet: this.ruleSet, sourceOf: this.sourceOf });
    } catch (e) {
      this.log('error', `rules failed for ${path}, retrying one by one: ${describe(e)}`);
    }
    const out: Finding[] = [];
    for (const [id, rule] of Object.entries(this.ruleSet)) {
      const setting = rules[id];
      if (setting === 'off' || (Array.isArray(setting) && setting[0] === 'off')) continue;
      try {
        const only = setting ? { [id]: setting } : {};
        out.push(
          ...lintFile(fileIr, text, {
            rules: only,
            bounds,
            ruleSet: { [id]: rule },
            sourceOf: this.sourceOf,
          }),
        );
      } catch (e) {
        this.log('error', `rule ${id} failed on ${path}: ${describe(e)}`);
        tooDeep(fileIr, e, `rule ${id} was not run`);
      }
    }
    return out;
  }

  /**
   * What lintFile may be given without throwing: lintFile rejects unknown rule ids and bad options (right for the
   * CLI), but in the editor a stale or mistyped setting must not stop linting. An unknown id is dropped; bad
   * options give the rule its default options at the configured level, with a warning.
   */
  private usableRules(rules: Record<string, RuleConfig>): Record<string, RuleConfig> {
    const out: Record<string, RuleConfig> = {};
    for (const [id, setting] of Object.entries(rules)) {
      const rule = this.ruleSet[id];
      if (rule === undefined) continue;
      try {
        checkRuleSetting(id, rule, setting);
        out[id] = setting;
      } catch (e) {
        const level = Array.isArray(setting) ? setting[0] : setting;
        this.warnOnce(
          `lipschitzLens.rules: ${e instanceof Error ? e.message : String(e)}; using the rule's default options`,
        );
        out[id] = level;
      }
    }
    return out;
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.log('warn', message);
  }

  remove(path: string): void {
    try {
      this.extractor.removeFile(path);
    } catch (e) {
      this.log('warn', `removeFile failed for ${path}: ${describe(e)}`);
    }
  }
}

export { describe } from './describe-error';

/**
 * A stage that ran out of stack (input nested past what the extraction's limits caught) says so in the file's
 * notes, which the editor shows as its one "not analysed" diagnostic: a partial result must not look clean.
 */
function tooDeep(fileIr: FileIr, e: unknown, what: string): void {
  if (!(e instanceof RangeError)) return;
  const at = { line: 0, character: 0 };
  fileIr.notes.push({
    message: `Nested too deeply to follow: ${what}.`,
    range: { file: fileIr.file, start: at, end: at },
  });
}
