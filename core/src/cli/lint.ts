/** `lipschitz-lens lint <files, folders or globs>`: the same extract + rules the language server runs. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CheckpointCache, computeBounds, loadAll } from '../bounds';
import { analysisGap } from '../ir/analysis-gap';
import { ModelExtractor } from '../extract';
import { checkOutputFile, OutputError, writeFileAtomic } from '../files/atomic-write';
import type { FileIr } from '../ir/model-ir';
import {
  allRules,
  type Finding,
  lintFile,
  mergeFindings,
  RuleConfigError,
  type RuleSetting,
  SEVERITIES_WITH_OFF,
} from './lint-deps';
import { type FileResult, formatJson, formatText } from './formatters';
import { expandPatterns } from './file-patterns';
import { type CliIo, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './io';
import { parseCliArgs } from './parse-cli-args';
import { formatSarif } from './sarif';
import { findDocsRoot, readRuleDocs } from '../rules/rule-docs';

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

export const LINT_USAGE = `Usage: lipschitz-lens lint [options] <file|folder|glob>...

Options:
  -f, --format <text|json|sarif>  Output format (default: text)
  -o, --output-file <path>        Write the report to a file instead of stdout
      --rule <id>=<level>         Set a rule's level: off, error, warning, info or hint (repeatable)
      --rule <id>=<level>:<json>  ... and its options, e.g. 'residual-coefficient-too-large=warning:{"threshold":0.9}'
      --quiet                     Report errors only
  -h, --help                      Show this help

Folders and globs skip node_modules, dist, out and dot folders, and the files that .gitignore files in the current
directory or below ignore; a file named is always linted. Globs: **, *, ?, {a,b}, [ab] (quote them).

Checkpoints named by @checkpoint tags are read for static bounds only inside the current directory.

Exit codes: 0 no errors, 1 at least one error-level finding, 2 bad usage, no files matched, or an output file
that cannot be written (checked before linting). The output file is replaced only once written whole.
`;

export interface LintArgs {
  patterns: string[];
  format: Format;
  outputFile?: string;
  rules: Record<string, RuleSetting>;
  quiet: boolean;
  help: boolean;
}

export function parseLintArgs(args: readonly string[]): LintArgs {
  const { values, positionals } = parseCliArgs({
    args: [...args],
    options: {
      format: { type: 'string', short: 'f' },
      'output-file': { type: 'string', short: 'o' },
      rule: { type: 'string', multiple: true },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  const format = values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`unknown format '${format}' (use ${FORMATS.join(', ')})`);
  }
  return {
    patterns: positionals,
    format: format as Format,
    ...(values['output-file'] === undefined ? {} : { outputFile: values['output-file'] }),
    rules: Object.fromEntries((values.rule ?? []).map(parseRuleArg)),
    quiet: values.quiet === true,
    help: values.help === true,
  };
}

/** `<id>=<level>` or `<id>=<level>:<options as a JSON object>` (`:` also separates id and level, as before). */
export function parseRuleArg(text: string): [string, RuleSetting] {
  const m = /^([^=:]+)[=:]([a-z]+)(?::([\s\S]*))?$/.exec(text);
  const [, id, level, json] = m ?? [];
  if (id === undefined || level === undefined || !SEVERITIES_WITH_OFF.includes(level)) {
    throw new UsageError(`--rule takes <id>=<${SEVERITIES_WITH_OFF.join('|')}>[:<json options>]`);
  }
  if (allRules[id] === undefined) throw new UsageError(`unknown rule '${id}'`);
  if (json === undefined) return [id, level as RuleSetting];
  let options: unknown;
  try {
    options = JSON.parse(json);
  } catch (e) {
    throw new UsageError(
      `--rule ${id}: options are not JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new UsageError(`--rule ${id}: options must be a JSON object, e.g. {"threshold":0.9}`);
  // Option names and types are checked against the rule's schema by lintFile (a RuleConfigError: exit 2).
  return [id, [level, options as Record<string, unknown>] as RuleSetting];
}

export async function runLint(args: readonly string[], io: CliIo, version: string): Promise<number> {
  const parsed = parseLintArgs(args);
  if (parsed.help) {
    io.stdout(LINT_USAGE);
    return EXIT_OK;
  }
  if (parsed.patterns.length === 0) throw new UsageError('no files given\n\n' + LINT_USAGE);
  const { files, unmatched, ignored } = expandPatterns(parsed.patterns, io.cwd);
  if (unmatched.length + ignored.length > 0) {
    throw new UsageError(
      [
        ...unmatched.map((p) => `no files matching '${p}'`),
        ...ignored.map((p) => `all files matching '${p}' are ignored by a .gitignore`),
      ].join('\n'),
    );
  }
  const outputFile = parsed.outputFile === undefined ? undefined : resolve(io.cwd, parsed.outputFile);
  try {
    // Before any file is read, so a bad -o fails at once.
    if (outputFile !== undefined) checkOutputFile(outputFile);
  } catch (e) {
    return outputFailed(e, io);
  }
  const extractor = new ModelExtractor({ rootDir: io.cwd });
  const extracted: { fileIr: FileIr; text: string }[] = files.map((filePath) => ({
    text: readFileSync(filePath, 'utf8'),
    fileIr: extractor.extractFile(filePath),
  }));
  // The current directory is the CLI's workspace folder: a CI job runs at the repository's root, and a checkpoint
  // named by a file being linted is read only if it lies inside (as in the editor's Restricted Mode).
  const checkpoints = new CheckpointCache({ roots: [resolve(io.cwd)] });
  await loadAll(
    checkpoints,
    extracted.flatMap(({ fileIr }) => fileIr.models.flatMap((m) => (m.checkpoint ? [m.checkpoint] : []))),
  );
  const runs: Finding[][] = [];
  for (const { fileIr, text } of extracted) {
    const bounds = computeBounds(fileIr, { checkpoints: (p) => checkpoints.peek(p) });
    try {
      runs.push(
        lintFile(fileIr, text, { rules: parsed.rules, bounds, sourceOf: (f) => extractor.textOf(f) }),
      );
    } catch (e) {
      if (e instanceof RuleConfigError) throw new UsageError(e.message);
      throw e;
    }
  }
  // A layer written in a helper file is reported there, also when the helper was not among the files given.
  const placed = new Set(runs.flatMap((r) => r.map((f) => f.range.file)));
  const gaps = new Map(extracted.map(({ fileIr }) => [resolve(fileIr.file), analysisGap(fileIr)]));
  const results: FileResult[] = [...new Set([...files.map((f) => resolve(io.cwd, f)), ...placed])].map(
    (filePath) => {
      const findings = mergeFindings(filePath, runs);
      const gap = parsed.quiet ? undefined : gaps.get(filePath);
      return {
        filePath,
        findings: parsed.quiet ? findings.filter((f) => f.severity === 'error') : findings,
        ...(gap ? { notAnalysed: gap } : {}),
      };
    },
  );
  // The pages ship beside the CLI (`dist/cli/` in a build, `core/src/cli/` in the checkout).
  const docsRoot = parsed.format === 'sarif' ? findDocsRoot(__dirname) : undefined;
  const report =
    parsed.format === 'json'
      ? formatJson(results)
      : parsed.format === 'sarif'
        ? formatSarif(results, allRules, io.cwd, version, (id) => readRuleDocs(docsRoot, id))
        : formatText(results, io.cwd);
  if (outputFile === undefined) io.stdout(report);
  else {
    try {
      writeFileAtomic(outputFile, report);
    } catch (e) {
      return outputFailed(e, io);
    }
  }
  const hasError = results.some((r) => r.findings.some((f) => f.severity === 'error'));
  return hasError ? EXIT_FINDINGS : EXIT_OK;
}

/** A file that cannot be written is one line and exit code 2, never a stack trace. */
function outputFailed(e: unknown, io: CliIo): number {
  if (!(e instanceof OutputError)) throw e;
  io.stderr(`lipschitz-lens lint: ${e.message}\n`);
  return EXIT_USAGE;
}
