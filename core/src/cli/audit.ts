/**
 * `lipschitz-lens audit <file> [--export name] [--checkpoint path] [--out dir] [--budget seconds]
 * [--probes a,b]`: runs the probes in a worker and writes the report as JSON and as a standalone HTML page:
 * the webview's report UI with its bundle inlined and the report embedded, the page the extension exports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointCache, computeBounds, loadAll } from '../bounds';
import { type AuditTarget, findAuditTarget, ModelExtractor } from '../extract';
import type { FileIr } from '../ir/model-ir';
import { checkOutputFolder, OutputError, writeFilesAtomic } from '../files/atomic-write';
import { verdictText, type StaticBlockBound } from '../protocol/webview';
import { auditFolder } from '../probes/audit-folder';
import { PROBE_IDS } from '../probes/probe';
import { ProgressClock } from '../probes/progress-text';
import { runAudit } from '../probes/run-audit';
import {
  AUDIT_DEFAULTS,
  type AuditRequest,
  type BackendPreference,
  type JsonValue,
  type LintEntry,
} from '../protocol/worker-messages';
import { lintFile, RuleConfigError, type RuleSetting } from '../rules';
import { modelLint } from '../report/model-lint';
import { makeNonce, standaloneHtml } from '../report/page';
import { provenanceLines } from '../report/provenance-text';
import type { Report, ReportStaticBounds } from '../report/schema';
import { staticBlockBounds, staticModelBound } from '../report/static-bounds';
import { loadWebviewBundle } from '../report/webview-bundle';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, processIo, type CliIo, UsageError } from './io';
import { needsSetupText } from './needs-setup';
import { parseCliArgs } from './parse-cli-args';
import { parseRuleArg } from './lint';
import { listenForStop, signalExitCode } from './stop-signals';

export interface CliCommand {
  name: string;
  summary: string;
  /** `io` is optional so the command also runs on its own; main.ts passes its own. */
  run(args: string[], io?: CliIo): Promise<number>;
}

const USAGE = `usage: lipschitz-lens audit <file> [options]
  <file>               a TS/JS module exporting a model or a factory, or a model.json checkpoint
  --export NAME        the export to audit (default: the default export, or the only one)
  --args JSON          arguments for a factory export, as a JSON array
  --checkpoint PATH    audit a saved model.json instead of (or as well as naming) the module
  --out DIR            where to write <name>.report.json and .html (default: ./lipschitz-lens-audit)
  --budget SECONDS     time budget; the worker is stopped after it (default ${AUDIT_DEFAULTS.budgetSeconds})
  --memory-cap MB      the worker is stopped when the model uses more (default ${AUDIT_DEFAULTS.memoryCapMB})
  --probes A,B         probes to run (default all): ${PROBE_IDS.join(', ')}
  --points N           number of standard-normal probe points (default ${AUDIT_DEFAULTS.points})
  --seed N             seed of the probe points (default ${AUDIT_DEFAULTS.seed})
  --sample PATH        probe inputs from a JSON or .npy file, [n, ...inputShape]
  --input-shape A,B    one point's shape, when the model does not declare it
  --backend NAME       auto | tfjs-node-gpu | tfjs-node | wasm | cpu (default auto)
  --option K=V         override a probe setting, e.g. --option attackSteps=50 (repeatable)
  --rule ID=LEVEL[:JSON]
                       a lint rule's level and options for the report's lint findings, as in
                       \`lipschitz-lens lint --rule\` (repeatable)

The reports replace earlier ones only once written whole: on a full disk the earlier files stay as they were.
Exit codes: 0 no error-level findings, 1 at least one, 2 bad usage, an audit that needs setup (not audited: an
input shape, an export or a factory's arguments is missing, and the message says what to add), a failed audit,
or an --out folder or report that cannot be written (the folder is checked before the audit starts), 128+N
stopped by signal N.`;

const BACKENDS: readonly BackendPreference[] = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

export interface ParsedAuditArgs {
  request: AuditRequest;
  outDir: string;
  /** Rule settings for the lint findings the report shows (`--rule`); defaults otherwise. */
  rules: Record<string, RuleSetting>;
  /** Present when the static analysis found the model in the file: its IR, for the static bounds. */
  located?: LocatedModel;
}

/** The model the static analysis found, in the file's IR. */
export interface LocatedModel {
  target: AuditTarget;
  fileIr: FileIr;
}

/** The model the static analysis finds for this export: its JSDoc audit hints and block lines. */
export function locateModel(file: string, name: string | undefined): LocatedModel | undefined {
  if (!existsSync(file)) return undefined;
  const fileIr = new ModelExtractor().extractFile(file);
  const target = findAuditTarget(fileIr, name);
  return target === undefined ? undefined : { target, fileIr };
}

/**
 * The static bounds the report shows beside the measured values, per block, with the model's `@checkpoint` read
 * as the linter reads it: only inside the model file's workspace folder (the nearest package.json), capped.
 */
export async function auditStaticBounds(parsed: ParsedAuditArgs): Promise<StaticBlockBound[] | undefined> {
  return (await auditStaticView(parsed))?.blocks;
}

/** The static bounds per block and the whole model's, for the report (a critic's global bound is the latter). */
export async function auditStaticView(parsed: ParsedAuditArgs): Promise<ReportStaticBounds | undefined> {
  const located = parsed.located;
  if (located === undefined) return undefined;
  const checkpoints = new CheckpointCache({ roots: [auditFolder(located.fileIr.file)] });
  const path = located.target.model.checkpoint;
  if (path !== undefined) await loadAll(checkpoints, [path]);
  const bounds = computeBounds(located.fileIr, { checkpoints: (p) => checkpoints.peek(p) });
  const model = staticModelBound(located.target.model, bounds);
  return {
    blocks: staticBlockBounds(located.target.model, bounds),
    ...(model ? { model } : {}),
  };
}

/**
 * The linter's findings about the audited model (with the `--rule` settings), for the report to show beside the
 * measured values; the same rules and bounds as `lipschitz-lens lint`. Throws RuleConfigError for bad options.
 */
export function auditLint(parsed: ParsedAuditArgs): LintEntry[] | undefined {
  const located = parsed.located;
  if (located === undefined) return undefined;
  const file = located.fileIr.file;
  const findings = lintFile(located.fileIr, readFileSync(file, 'utf8'), {
    rules: parsed.rules,
    bounds: computeBounds(located.fileIr),
  });
  return modelLint(located.target.model, findings, located.fileIr.customLayers);
}

function parseOption(raw: string): [string, JsonValue] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`--option expects K=V, got '${raw}'`);
  const value = raw.slice(eq + 1);
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(value) as JsonValue;
  } catch {
    parsed = value;
  }
  return [raw.slice(0, eq), parsed];
}

/** The audit's options, parsed and checked for unknown names and missing values (a UsageError). */
function readAuditOptions(args: readonly string[]) {
  const text = { type: 'string' } as const;
  return parseCliArgs({
    args: [...args],
    options: {
      export: text,
      args: text,
      checkpoint: text,
      out: text,
      budget: text,
      'memory-cap': text,
      probes: text,
      points: text,
      seed: text,
      sample: text,
      'input-shape': text,
      backend: text,
      option: { type: 'string', multiple: true },
      rule: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
    // As before parseArgs: `--seed -1` and `--args -1` are values (checked by each option), not options.
    valuesMayStartWithDash: true,
  });
}

/** A positive number option, or `fallback` when it is not given. */
function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} expects a positive number, got '${text}'`);
  return n;
}

/** `--args`: a JSON array of the factory's arguments (a single JSON value is one argument). */
function factoryArgsOf(text: string): JsonValue[] {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new UsageError(`--args is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** `--input-shape 28,28,1`: one point's shape, positive integers. */
function inputShapeOf(text: string): number[] {
  const shape = text.split(',').map((d) => Number(d.trim()));
  if (shape.some((d) => !Number.isInteger(d) || d <= 0))
    throw new UsageError(`--input-shape expects positive integers separated by commas, got '${text}'`);
  return shape;
}

export function parseAuditArgs(args: string[], cwd = process.cwd()): ParsedAuditArgs {
  const { values, positionals } = readAuditOptions(args);
  const file = positionals[0];
  if (file === undefined && values.checkpoint === undefined) throw new UsageError('missing <file>');
  const exportName = values.export;
  const located =
    file !== undefined && !file.endsWith('.json') ? locateModel(resolve(cwd, file), exportName) : undefined;
  const target = located?.target;
  // A flag wins; else a model.json given as the file; else the model's JSDoc @checkpoint, as in the editor.
  const checkpoint =
    values.checkpoint ?? (file?.endsWith('.json') === true ? file : target?.model.checkpoint);
  const anchor = resolve(cwd, (checkpoint ?? file)!);
  const backend = (values.backend ?? 'auto') as BackendPreference;
  if (!BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}`);
  const seed = values.seed === undefined ? AUDIT_DEFAULTS.seed : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed expects an integer, got '${values.seed}'`);
  let factoryArgs = values.args === undefined ? undefined : factoryArgsOf(values.args);
  if (factoryArgs === undefined && target?.args !== undefined) factoryArgs = target.args as JsonValue[];
  const model: AuditRequest['model'] =
    checkpoint !== undefined
      ? {
          source: 'checkpoint',
          path: resolve(cwd, checkpoint),
          name: exportName ?? target?.model.name ?? basename(dirname(resolve(cwd, checkpoint))),
        }
      : {
          source: 'module',
          file: anchor,
          // The export the extractor found (a CommonJS `module.exports = createModel` is 'default'), as the editor
          // sends it, and the model's own name for the report.
          ...(exportName !== undefined
            ? { exportName }
            : target?.model.exportName !== undefined
              ? { exportName: target.model.exportName, name: target.model.name }
              : {}),
          ...(factoryArgs !== undefined ? { args: factoryArgs } : {}),
        };
  const request: AuditRequest = {
    model,
    cwd: auditFolder(anchor),
    backend,
    budgetSeconds: positive('budget', values.budget, AUDIT_DEFAULTS.budgetSeconds),
    memoryCapMB: Math.round(positive('memory-cap', values['memory-cap'], AUDIT_DEFAULTS.memoryCapMB)),
    points: Math.round(positive('points', values.points, AUDIT_DEFAULTS.points)),
    seed,
    options: Object.fromEntries((values.option ?? []).map(parseOption)),
    ...(values.probes !== undefined ? { probes: values.probes.split(',').map((s) => s.trim()) } : {}),
    ...(values.sample !== undefined ? { sample: resolve(cwd, values.sample) } : {}),
    ...(values['input-shape'] !== undefined
      ? { inputShape: inputShapeOf(values['input-shape']) }
      : target?.inputShape !== undefined
        ? { inputShape: target.inputShape }
        : {}),
    ...(target !== undefined
      ? { range: target.range, blockRangesInOrder: target.blockRanges, intent: target.intent }
      : {}),
  };
  return {
    request,
    outDir: resolve(cwd, values.out ?? 'lipschitz-lens-audit'),
    rules: Object.fromEntries((values.rule ?? []).map(parseRuleArg)),
    ...(located ? { located } : {}),
  };
}

function summary(report: Report, parsed: ParsedAuditArgs, cwd: string): string {
  const setup = needsSetupText(report, parsed.located?.target, cwd);
  if (setup !== undefined) return setup;
  const lines = [
    // A failed audit's verdict already says so; the others add whether every probe completed.
    `${report.model.name}: ${verdictText(report)}${report.status === 'failed' ? '' : `; ${report.status}`} in ${(report.durationMs / 1000).toFixed(1)} s`,
    // Provenance first, as on the page: what was audited decides what the figures mean.
    ...provenanceLines(report).map((l) => `  ${l.label}: ${l.text}`),
  ];
  if (report.backend)
    lines.push(`  backend: ${report.backend.package} ${report.backend.version} (${report.backend.name})`);
  if (report.error) lines.push(`  ${report.error.phase}: ${report.error.message}`);
  for (const f of report.figures)
    lines.push(`  ${f.label}: ${f.value === null ? (f.nonFinite ?? '-') : Number(f.value.toPrecision(4))}`);
  for (const f of report.findings) {
    const at = f.range ? ` (${f.range.file}:${f.range.start.line + 1})` : '';
    lines.push(`  ${f.severity}: ${f.message} [${f.code}]${at}`);
  }
  // The static side beside the measured one, and how they relate when they seem to disagree.
  for (const f of report.lint?.findings ?? []) {
    const at = `${f.range.file}:${f.range.start.line + 1}${f.block ? `, block ${f.block}` : ''}`;
    lines.push(`  lint ${f.severity}: ${f.message} [${f.ruleId}] (${at})`);
  }
  if (report.lint?.relation) lines.push(`  ${report.lint.relation}`);
  return lines.join('\n');
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'Run the stability probes on a model and write a JSON + HTML report',
  async run(args, io = processIo()) {
    let parsed: ParsedAuditArgs;
    try {
      if (readAuditOptions(args).values.help === true) {
        io.stdout(`${USAGE}\n`);
        return EXIT_OK;
      }
      parsed = parseAuditArgs(args, io.cwd);
    } catch (e) {
      io.stderr(`lipschitz-lens audit: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    // Before the probes run, so an unwritable --out fails at once instead of after the whole audit.
    try {
      checkOutputFolder(parsed.outDir);
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      io.stderr(`lipschitz-lens audit: ${e.message}\n`);
      return EXIT_USAGE;
    }
    // Before the probes run, so a broken install does not cost a whole audit.
    let script: string;
    try {
      script = await loadWebviewBundle();
    } catch (e) {
      io.stderr(`lipschitz-lens audit: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT_USAGE;
    }
    const staticView = await auditStaticView(parsed);
    const staticBounds = staticView?.blocks;
    if (staticView !== undefined) parsed.request.staticBounds = staticView;
    let lint: LintEntry[] | undefined;
    try {
      lint = auditLint(parsed);
    } catch (e) {
      if (!(e instanceof RuleConfigError)) throw e;
      io.stderr(`lipschitz-lens audit: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (lint !== undefined) parsed.request.lint = lint;
    const stop = listenForStop();
    let last = '';
    // The widest line written, so each rewrite and the final clear cover the one before.
    let width = 0;
    const clock = new ProgressClock();
    const report = await runAudit(parsed.request, {
      signal: stop.signal,
      onProgress: (p) => {
        const line = clock.line(p);
        // Progress only on a terminal: CI logs should hold the summary, not a carriage-return stream.
        if (line !== last && process.stderr.isTTY) {
          // A terminal that reports no width (0) gets 100 columns.
          const columns = process.stderr.columns > 0 ? process.stderr.columns : 100;
          const shown = line.slice(0, Math.max(20, columns - 1));
          io.stderr(`\r${shown.padEnd(width)}`);
          width = Math.max(width, shown.length);
        }
        last = line;
      },
    });
    stop.dispose();
    if (process.stderr.isTTY) io.stderr(`\r${' '.repeat(width)}\r`);
    const stem = report.model.name.replace(/[^\w.-]+/g, '_') || 'model';
    const json = join(parsed.outDir, `${stem}.report.json`);
    const html = join(parsed.outDir, `${stem}.report.html`);
    // The summary first: if the files cannot be written, the results are still in the log.
    io.stdout(`${summary(report, parsed, io.cwd)}\n`);
    try {
      writeFilesAtomic([
        { path: json, data: `${JSON.stringify(report, null, 2)}\n` },
        {
          path: html,
          data: standaloneHtml({
            nonce: makeNonce(),
            script,
            report,
            ...(staticBounds ? { staticBounds } : {}),
          }),
        },
      ]);
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      io.stderr(`lipschitz-lens audit: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.stdout(`  report: ${json}\n  html:   ${html}\n`);
    const stopped = stop.caught();
    if (stopped !== undefined) return signalExitCode(stopped);
    // A missing setting (needs setup) is the user's to give, like a bad option: exit 2, as ESLint exits for a
    // configuration problem; a failed audit too, since neither judged the model.
    if (report.status === 'failed') return EXIT_USAGE;
    return report.findings.some((f) => f.severity === 'error') ? EXIT_FINDINGS : EXIT_OK;
  },
};
