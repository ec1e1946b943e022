/**
 * `lipschitz-lens reproduce`: the paper's headline result from this library's blocks. Trains four flows by
 * maximum likelihood on a generated toy set, audits each, and writes one comparison (JSON and a standalone HTML
 * page in the report's look).
 */
import { join, resolve } from 'node:path';
import { describeBackend, selectBackend, type BackendKind } from '../backend/select-backend';
import { checkOutputFolder, OutputError, writeFilesAtomic } from '../files/atomic-write';
import { type Comparison, comparisonRows } from '../report/comparison';
import { makeNonce, standaloneComparisonHtml } from '../report/page';
import { loadWebviewBundle } from '../report/webview-bundle';
import { REPRODUCE_DEFAULTS, reproduce, type ReproduceOptions } from '../reproduce/run-reproduction';
import { parseCliArgs } from './parse-cli-args';
import { cell, textTable } from './text-table';
import { type CliIo, EXIT_OK, EXIT_USAGE, UsageError } from './io';
import { listenForStop, signalExitCode } from './stop-signals';

export const REPRODUCE_USAGE = `usage: lipschitz-lens reproduce [options]
  Trains an affine flow with exp scale, one with a bounded scale, an additive flow with ActNorm and an i-ResNet by
  maximum likelihood on a generated 8-D toy set, audits each (reconstruction error against input scale, inverse
  Lipschitz at the data, memory-saving gradients) and writes comparison.json and comparison.html. The training
  monitor records each flow's training in runs/ (lipschitz-lens monitor reads them).

  --out DIR        where to write them (default: ./lipschitz-lens-reproduce)
  --steps N        Adam steps per flow (default ${REPRODUCE_DEFAULTS.steps})
  --seed N         seed of the data, the weights and the probes (default ${REPRODUCE_DEFAULTS.seed})
  --regularizer    also train the affine-exp flow with the finite-difference bi-Lipschitz regulariser
  --backend NAME   auto | tfjs-node-gpu | tfjs-node | wasm | cpu (default auto)`;

const BACKENDS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} expects a positive whole number, got '${text}'`);
  return n;
}

export interface ParsedReproduceArgs {
  outDir: string;
  backend: (typeof BACKENDS)[number];
  options: ReproduceOptions;
  help: boolean;
}

export function parseReproduceArgs(args: string[], cwd: string): ParsedReproduceArgs {
  const { values } = parseCliArgs({
    args,
    options: {
      out: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      regularizer: { type: 'boolean' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const backend = values.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend))
    throw new UsageError(`--backend takes ${BACKENDS.join(', ')}, got '${backend}'`);
  return {
    outDir: resolve(cwd, values.out ?? 'lipschitz-lens-reproduce'),
    backend: backend as ParsedReproduceArgs['backend'],
    help: values.help === true,
    options: {
      ...REPRODUCE_DEFAULTS,
      steps: positive('steps', values.steps, REPRODUCE_DEFAULTS.steps),
      seed: positive('seed', values.seed, REPRODUCE_DEFAULTS.seed),
      regularizer: values.regularizer === true,
    },
  };
}

/** The comparison as a plain-text table, for the terminal and CI logs. */
export function comparisonTable(c: Comparison): string {
  const head = [
    'flow',
    'test NLL',
    'err data',
    'err in range',
    'fails from',
    'worst err',
    'inv Lip',
    'grad err',
  ];
  const rows = comparisonRows(c).map((r) => [
    r.id,
    cell(r.testNll),
    cell(r.dataError),
    cell(r.inRangeError),
    r.firstFailingScale === null ? 'none' : `${r.firstFailingScale}x`,
    r.worstError === 'broken' ? 'NaN/Inf' : cell(r.worstError),
    cell(r.inverseLipschitz),
    cell(r.memoryGradientError),
  ]);
  return textTable(head, rows);
}

/** Per flow, the monitored inverse lower bounds at the first and last measurement, and the run file. */
export function monitoredText(c: Comparison): string {
  return c.flows
    .flatMap((f) => {
      const m = f.training.monitor;
      if (m === undefined || m.steps.length === 0) return [];
      const last = m.steps.length - 1;
      const off = (m.offDataScales ?? []).map((s) => `${s}x`).join(', ');
      const offData = m.inverseOffData ?? [];
      return [
        `${f.id}: inverse Lipschitz lower bound ${cell(m.inverseLowerBound[0] ?? null)} -> ${cell(m.inverseLowerBound[last] ?? null)} at the data, ` +
          (off === '' ? '' : `${cell(offData[0] ?? null)} -> ${cell(offData[last] ?? null)} at ${off}, `) +
          `steps ${m.steps[0]} -> ${m.steps[last]} ` +
          `(monitor: ${(100 * m.overhead).toFixed(1)}% of training time; ${m.runFile})\n`,
      ];
    })
    .join('');
}

export async function runReproduce(args: string[], io: CliIo): Promise<number> {
  const parsed = parseReproduceArgs(args, io.cwd);
  if (parsed.help) {
    io.stdout(`${REPRODUCE_USAGE}\n`);
    return EXIT_OK;
  }
  try {
    checkOutputFolder(parsed.outDir);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr(`lipschitz-lens reproduce: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const script = await loadWebviewBundle();
  const choice = await selectBackend({ prefer: parsed.backend as 'auto' | BackendKind });
  io.stdout(`${describeBackend(choice)}\n`);
  const stop = listenForStop();
  let comparison: Comparison;
  try {
    comparison = await reproduce({
      ...parsed.options,
      runs: { dir: join(parsed.outDir, 'runs'), outDir: parsed.outDir },
      signal: stop.signal,
      onProgress: (m) => {
        if (process.stderr.isTTY) io.stderr(`\r${m.slice(0, 78).padEnd(78)}`);
      },
    });
  } finally {
    stop.dispose();
    if (process.stderr.isTTY) io.stderr(`\r${' '.repeat(78)}\r`);
  }
  const stopped = stop.caught();
  // Stopped part-way, the comparison would misstate the result: nothing is written.
  if (stopped !== undefined) return signalExitCode(stopped);
  io.stdout(`${comparisonTable(comparison)}\n${monitoredText(comparison)}`);
  const json = join(parsed.outDir, 'comparison.json');
  const html = join(parsed.outDir, 'comparison.html');
  try {
    writeFilesAtomic([
      { path: json, data: `${JSON.stringify(comparison, null, 2)}\n` },
      { path: html, data: standaloneComparisonHtml({ nonce: makeNonce(), script, comparison }) },
    ]);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr(`lipschitz-lens reproduce: ${e.message}\n`);
    return EXIT_USAGE;
  }
  io.stdout(`comparison: ${json}\nhtml:       ${html}\n`);
  return EXIT_OK;
}
