/**
 * Cancel to worker-gone, the figure issue 11 asks for. Run: `npx tsx bench/cancel.bench.ts [--runs N]`.
 * Audits three models with runAudit, cancels each once it misbehaves, and prints the time from the abort to the
 * worker's pid being gone (reaped) and to the report: a model stuck at import (never yields: killed after the
 * cancel grace), stuck in its forward call (likewise), and busy but responsive (20 ms passes; the probes read
 * the cancel between passes and send a partial report). Also the budget: a model stuck at import with a 2 s
 * budget, from the budget's end to the worker gone.
 */
import { rmSync } from 'node:fs';
import { runAudit } from '../core/src/probes/run-audit';
import type { AuditProgress } from '../core/src/protocol/worker-messages';
import { alive } from '../core/test/probes/process-table';
import {
  runawayRequest,
  startedIn,
  writeRunawayModels,
  type RunawayModel,
} from '../core/test/probes/runaway-models';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

async function msUntilGone(pid: number): Promise<number> {
  const t0 = performance.now();
  while (alive(pid)) await new Promise((r) => setTimeout(r, 1));
  return performance.now() - t0;
}

interface Sample {
  gone: number;
  report: number;
  phase: string;
}

async function cancelOnce(model: RunawayModel): Promise<Sample> {
  const dir = writeRunawayModels();
  const controller = new AbortController();
  let pid = 0;
  let probing: (() => void) | undefined;
  const probesRunning = new Promise<void>((r) => (probing = r));
  const done = runAudit(runawayRequest(dir, model), {
    signal: controller.signal,
    onWorkerStarted: (p) => (pid = p),
    // The busy model is cancelled mid-probe, not while it loads.
    onProgress: (p: AuditProgress) => (p.index >= 0 && p.fraction > 0 ? probing?.() : undefined),
  });
  await startedIn(dir, model);
  if (model === 'busy.js') await probesRunning;
  const t0 = performance.now();
  controller.abort();
  const [report, gone] = await Promise.all([
    done.then((r) => ({ r, at: performance.now() - t0 })),
    msUntilGone(pid).then(() => performance.now() - t0),
  ]);
  rmSync(dir, { recursive: true, force: true });
  return { gone, report: report.at, phase: report.r.error?.phase ?? report.r.status };
}

async function budgetOnce(): Promise<number> {
  const dir = writeRunawayModels();
  let pid = 0;
  const t0 = performance.now();
  await runAudit(runawayRequest(dir, 'stuck-at-import.js', { budgetSeconds: 2 }), {
    onWorkerStarted: (p) => (pid = p),
  });
  await msUntilGone(pid);
  rmSync(dir, { recursive: true, force: true });
  return performance.now() - t0 - 2000;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return `median ${median.toFixed(0).padStart(4)} ms, max ${s.at(-1)!.toFixed(0).padStart(4)} ms`;
}

async function main(): Promise<void> {
  console.log(`cancel -> worker gone, ${RUNS} runs each (node ${process.version}, from source through tsx)`);
  const cases: [string, RunawayModel][] = [
    ['stuck at import', 'stuck-at-import.js'],
    ['stuck in call()', 'stuck-in-call.js'],
    ['busy but responsive', 'busy.js'],
  ];
  for (const [label, model] of cases) {
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await cancelOnce(model));
    const phases = [...new Set(samples.map((s) => s.phase))].join(',');
    console.log(
      `  ${label.padEnd(20)} gone: ${stats(samples.map((s) => s.gone))}; report: ${stats(samples.map((s) => s.report))} (${phases})`,
    );
  }
  const budget: number[] = [];
  for (let i = 0; i < RUNS; i++) budget.push(await budgetOnce());
  console.log(`  ${'budget 2 s, stuck'.padEnd(20)} gone after the budget: ${stats(budget)}`);
}

void main();
