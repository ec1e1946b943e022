/**
 * `lipschitz-lens monitor RUN.jsonl`: reads a training monitor's run file (complete or still growing), prints per
 * block the latest estimates and the first step a threshold was crossed, optionally follows the file until the
 * run ends, and writes the run as a standalone page. Exits 1 when a threshold was crossed, so CI jobs can fail.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OutputError, writeFilesAtomic } from '../files/atomic-write';
import { parseRunFile, type RunFile, RunFileError } from '../monitor/run-file';
import {
  type BlockSummary,
  summarizeRun,
  thresholdsOf,
  type RunSummary,
  type Thresholds,
} from '../monitor/summary';
import { makeNonce, standaloneRunHtml } from '../report/page';
import { loadWebviewBundle } from '../report/webview-bundle';
import { parseCliArgs } from './parse-cli-args';
import { cell, textTable } from './text-table';
import { type CliIo, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './io';
import { listenForStop } from './stop-signals';

export const MONITOR_USAGE = `usage: lipschitz-lens monitor RUN.jsonl [options]
  Summarises a training monitor's run file (docs/monitor.md): per block the latest forward and inverse Lipschitz
  lower bounds (measured at the probe points, never bounds from above), round-trip and reconstruction errors, and
  the first step a threshold was crossed. Exit code 1 when a threshold was crossed; else 2 on bad usage, an
  unreadable run file, or a run whose measurements failed (it was not checked throughout); 0 otherwise.

  --follow                      keep reading while the file grows (waiting for it to appear), until the run's
                                end line or Ctrl-C
  --html OUT.html               also write the run as a standalone page
  --inverse-threshold X         inverse Lipschitz lower bound that counts as crossed (default: the run's)
  --reconstruction-threshold X  relative reconstruction error that counts as crossed (default: the run's)
  --interval MS                 how often --follow rereads the file (default 500)`;

export interface ParsedMonitorArgs {
  file: string;
  follow: boolean;
  html?: string;
  inverseThreshold?: number;
  reconstructionThreshold?: number;
  intervalMs: number;
  help: boolean;
}

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} expects a positive number, got '${text}'`);
  return n;
}

export function parseMonitorArgs(args: string[], cwd: string): ParsedMonitorArgs {
  const { values, positionals } = parseCliArgs({
    args,
    options: {
      follow: { type: 'boolean' },
      html: { type: 'string' },
      'inverse-threshold': { type: 'string' },
      'reconstruction-threshold': { type: 'string' },
      interval: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  const help = values.help === true;
  if (!help && positionals.length !== 1) throw new UsageError('expects one run file (RUN.jsonl)');
  const inverse = positiveNumber('inverse-threshold', values['inverse-threshold']);
  const reconstruction = positiveNumber('reconstruction-threshold', values['reconstruction-threshold']);
  return {
    file: resolve(cwd, positionals[0] ?? ''),
    follow: values.follow === true,
    ...(values.html === undefined ? {} : { html: resolve(cwd, values.html) }),
    ...(inverse === undefined ? {} : { inverseThreshold: inverse }),
    ...(reconstruction === undefined ? {} : { reconstructionThreshold: reconstruction }),
    intervalMs: positiveNumber('interval', values.interval) ?? 500,
    help,
  };
}

/** "step 1200 (at 2x)", or '-' when the block's inverse never crossed. */
function crossedText(b: BlockSummary): string {
  if (b.inverseCrossedAt === null) return '-';
  return `step ${b.inverseCrossedAt}${b.inverseCrossedScale === 1 ? '' : ` (at ${b.inverseCrossedScale}x)`}`;
}

/** The summary as plain text: one row per block, then the reconstruction by scale and the verdict. */
export function summaryText(s: RunSummary): string {
  const head = [
    'block',
    'step',
    'forward >=',
    'inverse >=',
    '(at start)',
    'off data >=',
    '(at start)',
    'round trip',
    'grad err',
    'NaN rows',
    'inverse crossed',
  ];
  const rows = s.blocks.map((b) => [
    b.monitored ? b.name : `${b.name} (static)`,
    b.step === null ? '-' : String(b.step),
    cell(b.forward),
    cell(b.inverse),
    cell(b.initialInverse),
    cell(b.inverseOffData),
    cell(b.initialInverseOffData),
    cell(b.roundTrip),
    cell(b.gradientError),
    String(b.nonFinite),
    crossedText(b),
  ]);
  const table = textTable(head, rows);
  const recon = s.reconstruction
    .map((r) => `${r.scale}x ${r.max === null ? `NaN/Inf (${r.nonFinite} rows)` : cell(r.max)}`)
    .join(', ');
  const lines = [
    `${s.model}: ${s.measurements} measurements, last at step ${s.lastStep ?? '-'}${s.ended ? ', run ended' : ''}` +
      (s.overhead === null ? '' : `; monitor overhead ${(100 * s.overhead).toFixed(1)}% of wall time`),
    'Lipschitz figures are lower bounds measured at the probe points (warm-started power steps), not bounds from above;' +
      ` "off data": the probe points scaled by ${offScales(s)} before the model.`,
    table,
    `reconstruction error by input scale (latest): ${recon || 'no inverse'}`,
  ];
  const crossings = [
    ...s.blocks
      .filter((b) => b.inverseCrossedAt !== null)
      .map(
        (b) => `${b.name}: inverse Lipschitz above ${s.thresholds.inverse} (or NaN/Inf) ${crossedText(b)}`,
      ),
    ...(s.reconstructionCrossedAt === null
      ? []
      : [
          `reconstruction error above ${s.thresholds.reconstruction} at ${s.reconstructionCrossedAt.scale}x from step ${s.reconstructionCrossedAt.step}`,
        ]),
  ];
  lines.push(
    crossings.length === 0 ? 'no threshold crossed' : `THRESHOLD CROSSED\n  ${crossings.join('\n  ')}`,
  );
  const f = s.failures;
  if (f.first !== null)
    lines.push(
      `MEASUREMENTS FAILED: ${f.count}, the first at step ${f.first.step}: ${f.first.message}` +
        (f.stopped ? '; the monitor stopped measuring' : ''),
    );
  return `${lines.join('\n')}\n`;
}

function offScales(s: RunSummary): string {
  const scales = s.inverseScales.filter((x) => x !== 1);
  return scales.length === 0 ? 'none' : scales.map((x) => `${x}x`).join(', ');
}

function progressLine(s: RunSummary): string {
  const worst = Math.max(...s.blocks.map((b) => b.inverse ?? 0));
  return `step ${s.lastStep ?? '-'}, ${s.measurements} measurements, largest inverse >= ${cell(worst)}${s.crossed ? ', threshold crossed' : ''}`;
}

function read(file: string): RunFile & { text: string } {
  const text = readFileSync(file, 'utf8');
  return { ...parseRunFile(text), text };
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((done) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      done();
    });
  });

/** Rereads the file until its end line (or the signal), showing a progress line on a terminal. */
async function follow(
  p: ParsedMonitorArgs,
  io: CliIo,
  thresholds: (r: RunFile) => Thresholds,
): Promise<RunFile & { text: string }> {
  const stop = listenForStop();
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  try {
    let run = await firstRead(p, io, stop.signal);
    while (run.end === undefined && !stop.signal.aborted) {
      if (run.measurements.length !== shown) {
        shown = run.measurements.length;
        const line = progressLine(summarizeRun(run, thresholds(run)));
        io.stderr(tty ? `\r${line.slice(0, 100).padEnd(100)}` : `${line}\n`);
      }
      await sleep(p.intervalMs, stop.signal);
      run = read(p.file);
    }
    return run;
  } finally {
    stop.dispose();
    if (tty) io.stderr(`\r${' '.repeat(100)}\r`);
  }
}

/** Waits (saying so once) while the run file does not exist yet or lacks its header: a run that is starting. */
async function firstRead(
  p: ParsedMonitorArgs,
  io: CliIo,
  signal: AbortSignal,
): Promise<RunFile & { text: string }> {
  let said = false;
  for (;;) {
    try {
      return read(p.file);
    } catch (e) {
      const starting =
        (e instanceof RunFileError && e.beforeHeader) || (e as NodeJS.ErrnoException)?.code === 'ENOENT';
      if (!starting || signal.aborted) throw e;
    }
    if (!said) io.stderr(`waiting for ${p.file} to start\n`);
    said = true;
    await sleep(p.intervalMs, signal);
  }
}

export async function runMonitor(args: string[], io: CliIo): Promise<number> {
  const p = parseMonitorArgs(args, io.cwd);
  if (p.help) {
    io.stdout(`${MONITOR_USAGE}\n`);
    return EXIT_OK;
  }
  const thresholds = (r: RunFile): Thresholds => {
    const own = thresholdsOf(r);
    return {
      inverse: p.inverseThreshold ?? own.inverse,
      reconstruction: p.reconstructionThreshold ?? own.reconstruction,
    };
  };
  let run: RunFile & { text: string };
  try {
    run = p.follow ? await follow(p, io, thresholds) : read(p.file);
  } catch (e) {
    if (!(e instanceof RunFileError) && (e as NodeJS.ErrnoException)?.code === undefined) throw e;
    io.stderr(`lipschitz-lens monitor: ${p.file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_USAGE;
  }
  const limits = thresholds(run);
  const summary = summarizeRun(run, limits);
  io.stdout(summaryText(summary));
  if (p.html !== undefined) {
    try {
      const script = await loadWebviewBundle();
      writeFilesAtomic([
        {
          path: p.html,
          data: standaloneRunHtml({
            nonce: makeNonce(),
            script,
            run: { text: run.text.slice(0, run.text.length - run.partialBytes), thresholds: limits },
            model: run.header.model,
          }),
        },
      ]);
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      io.stderr(`lipschitz-lens monitor: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.stdout(`html: ${p.html}\n`);
  }
  if (summary.crossed) return EXIT_FINDINGS;
  return summary.failures.count > 0 ? EXIT_USAGE : EXIT_OK;
}
