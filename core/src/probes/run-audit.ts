/**
 * The parent side of an audit: forks the probe worker with the workspace folder as cwd, relays progress,
 * forwards cancellation, and kills the worker at the time budget plus a grace period, after a cancel's grace, or
 * when this process exits. Always resolves with a Report: when the worker dies, hangs or cannot load the model,
 * the report carries the error.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  isFromWorker,
  type AuditProgress,
  type AuditRequest,
  type ToWorker,
} from '../protocol/worker-messages';
import { buildReport } from '../report/build';
import { parseReport, type Report, type ReportError } from '../report/schema';

export interface RunAuditOptions {
  onProgress?: (progress: AuditProgress) => void;
  signal?: AbortSignal;
  /** The worker script; found beside this module (source or bundle) when absent. */
  workerPath?: string;
  /** Extra time after the budget before the worker is killed (it stops its probes at the budget itself). */
  graceMs?: number;
  /** How long a cancelled worker may take to send its partial report. */
  cancelGraceMs?: number;
}

interface WorkerLaunch {
  path: string;
  execArgv: string[];
}

/** From source (tests, tsx) the worker is worker.ts run through tsx; bundled, it is probe-worker.js. */
export function workerLaunch(explicit?: string): WorkerLaunch {
  const fromSource = __filename.endsWith('.ts');
  const tsx = (): string[] => ['--import', pathToFileURL(require.resolve('tsx')).href];
  if (explicit !== undefined) return { path: explicit, execArgv: explicit.endsWith('.ts') ? tsx() : [] };
  if (fromSource) return { path: join(__dirname, 'worker.ts'), execArgv: tsx() };
  const candidates = [join(__dirname, 'probe-worker.js'), join(__dirname, '../server/probe-worker.js')];
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) throw new Error(`probe worker not found (looked in ${candidates.join(', ')})`);
  return { path, execArgv: [] };
}

function failedReport(request: AuditRequest, startedAt: number, error: ReportError): Report {
  const m = request.model;
  return buildReport({
    model: {
      name: m.name ?? (m.source === 'module' ? m.file : m.path),
      source: m.source,
      file: m.source === 'module' ? m.file : m.path,
      ...(request.range ? { range: request.range } : {}),
    },
    settings: {
      probes: request.probes ?? [],
      seed: request.seed ?? 0,
      points: request.points ?? 0,
      budgetSeconds: request.budgetSeconds,
      data: request.sample ?? 'standard normal',
      options: {},
    },
    probes: [],
    startedAt,
    error,
  });
}

export function runAudit(request: AuditRequest, options: RunAuditOptions = {}): Promise<Report> {
  const startedAt = Date.now();
  const grace = options.graceMs ?? Math.max(3000, request.budgetSeconds * 100);
  return new Promise<Report>((resolve) => {
    let settled = false;
    let child: ChildProcess | undefined;
    let stderr = '';
    const timers: NodeJS.Timeout[] = [];
    const kill = (): void => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const finish = (report: Report): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      options.signal?.removeEventListener('abort', onAbort);
      process.removeListener('exit', kill);
      kill();
      resolve(report);
    };
    const fail = (error: ReportError): void => finish(failedReport(request, startedAt, error));
    const tail = (): string => stderr.trim().split('\n').slice(-15).join('\n');
    const onAbort = (): void => {
      const cancel: ToWorker = { type: 'cancel' };
      if (child?.connected === true) child.send(cancel);
      // The worker answers with a partial report; if it is stuck in the model, stop it.
      timers.push(
        setTimeout(
          () =>
            fail({
              phase: 'cancelled',
              message: 'The audit was cancelled; the worker did not stop in time and was killed.',
            }),
          options.cancelGraceMs ?? 2000,
        ),
      );
    };

    let launch: WorkerLaunch;
    try {
      launch = workerLaunch(options.workerPath);
      if (!existsSync(request.cwd)) throw new Error(`workspace folder ${request.cwd} does not exist`);
      child = fork(launch.path, [], {
        cwd: request.cwd,
        execArgv: launch.execArgv,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
    } catch (e) {
      fail({
        phase: 'worker',
        message: `Could not start the probe worker: ${e instanceof Error ? e.message : String(e)}`,
      });
      return;
    }
    // This process may exit before any timer fires (the language server on `exit`): the worker must not outlive
    // it, and a worker stuck in the model's code cannot notice its IPC channel closing. 'exit' listeners run
    // synchronously, and kill() is.
    process.once('exit', kill);
    child.stderr?.on('data', (chunk: Buffer) => {
      // Keep only the end: tfjs can be chatty and only the last lines explain a crash.
      stderr = (stderr + chunk.toString('utf8')).slice(-8000);
    });
    child.on('message', (m: unknown) => {
      if (!isFromWorker(m)) return;
      if (m.type === 'progress') options.onProgress?.(m.progress);
      else if (m.type === 'result') {
        try {
          finish(parseReport(m.report));
        } catch (e) {
          fail({
            phase: 'worker',
            message: `The worker sent an invalid report: ${e instanceof Error ? e.message : String(e)}`,
          });
        }
      } else
        fail({
          phase: 'worker',
          message: `The probe worker failed: ${m.message}`,
          ...(m.detail ? { detail: m.detail } : {}),
        });
    });
    child.on('error', (e) => fail({ phase: 'worker', message: `The probe worker failed: ${e.message}` }));
    child.on('exit', (code, signal) => {
      const detail = tail();
      fail({
        phase: 'worker',
        message: `The probe worker exited (${signal ?? `code ${code}`}) before sending a report.`,
        ...(detail ? { detail } : {}),
      });
    });
    timers.push(
      setTimeout(
        () =>
          fail({
            phase: 'timeout',
            message: `The audit did not finish within its budget of ${request.budgetSeconds} s (plus ${Math.round(grace / 1000)} s grace); the worker was killed. Loading the model or a probe never returned: check the model's factory for an endless loop.`,
          }),
        request.budgetSeconds * 1000 + grace,
      ),
    );
    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const start: ToWorker = { type: 'start', request };
    child.send(start);
  });
}
