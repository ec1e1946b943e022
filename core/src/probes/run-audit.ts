/**
 * The parent side of an audit: forks the probe worker as the leader of its own process group, with the workspace
 * folder as cwd and the memory cap on its heap, relays progress and forwards cancellation. The whole group (the
 * worker and any process the model started) is SIGKILLed when the audit ends for any reason: a report, a cancel's
 * short grace, the time budget plus a short grace, the worker's death, or this process's exit. The worker's
 * watchdog thread covers what this side cannot: this process dying without running its handlers, and memory.
 * Always resolves with a Report: when the worker dies, hangs or cannot load the model, the report carries the
 * error.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AUDIT_DEFAULTS,
  isFromWorker,
  type AuditProgress,
  type AuditRequest,
  type ToWorker,
} from '../protocol/worker-messages';
import { buildReport } from '../report/build';
import { intentOf, provenanceOf } from './provenance';
import { parseReport, type Report, type ReportError } from '../report/schema';
import { heapExhausted, watchdogVerdict } from './watchdog';

export interface RunAuditOptions {
  onProgress?: (progress: AuditProgress) => void;
  signal?: AbortSignal;
  /** The worker script; found beside this module (source or bundle) when absent. */
  workerPath?: string;
  /**
   * Extra time after the budget before the worker is killed (default 1 s). It stops its probes a little before
   * the budget itself, so only a model that never returns meets this.
   */
  graceMs?: number;
  /** How long a cancelled worker may take to send its partial report before it is killed (default 300 ms). */
  cancelGraceMs?: number;
  /** Hears the worker's pid once it runs (its process group has the same id). */
  onWorkerStarted?: (pid: number) => void;
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
    intent: intentOf(request),
    provenance: provenanceOf(request, request.points ?? 0),
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

/** Windows has no process groups to signal: the worker is not detached there and its tree is ended by taskkill. */
const WINDOWS = process.platform === 'win32';

/** SIGKILLs the process group led by `pid` (synchronous: it also runs in 'exit'); a group already gone is no error. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    if (WINDOWS)
      spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    else process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: every process of the group has exited.
  }
}

/** The error for a worker that exited without a report, from what it and its watchdog wrote on stderr. */
function exitError(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  capMB: number,
): ReportError {
  const verdict = watchdogVerdict(stderr);
  if (verdict?.kind === 'memory' || heapExhausted(stderr)) {
    const what =
      verdict?.kind === 'memory' ? `${verdict.residentMB} MB resident` : 'its JavaScript heap was full';
    return {
      phase: 'worker',
      message: `The audit was stopped: the model used more than ${capMB} MB (${what}). Raise the memory cap (lipschitzLens.probes.memoryCapMB, or --memory-cap) if the model needs it.`,
    };
  }
  const detail = stderr.trim().split('\n').slice(-15).join('\n');
  return {
    phase: 'worker',
    message: `The probe worker exited (${signal ?? `code ${code}`}) before sending a report.`,
    ...(detail ? { detail } : {}),
  };
}

export function runAudit(request: AuditRequest, options: RunAuditOptions = {}): Promise<Report> {
  const startedAt = Date.now();
  const grace = options.graceMs ?? 1000;
  const capMB = request.memoryCapMB ?? AUDIT_DEFAULTS.memoryCapMB;
  return new Promise<Report>((resolve) => {
    let settled = false;
    let child: ChildProcess | undefined;
    let stderr = '';
    const timers: NodeJS.Timeout[] = [];
    // Once the group has been killed after the worker's exit, its id may be reused: never signal it again.
    let groupKilled = false;
    // Synchronous, so it also runs as an 'exit' listener: the worker must not outlive this process.
    const kill = (): void => {
      if (!groupKilled) killGroup(child?.pid);
    };
    const finish = (report: Report): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      options.signal?.removeEventListener('abort', onAbort);
      process.removeListener('exit', kill);
      // Even after a report: the model's own processes are still in the group.
      kill();
      resolve(report);
    };
    const fail = (error: ReportError): void => finish(failedReport(request, startedAt, error));
    const onAbort = (): void => {
      const cancel: ToWorker = { type: 'cancel' };
      if (child?.connected === true) child.send(cancel);
      // A worker between probe steps answers at once with a partial report; one stuck in the model never will.
      timers.push(
        setTimeout(
          () =>
            fail({
              phase: 'cancelled',
              message: 'The audit was cancelled; the worker did not stop at once and was killed.',
            }),
          options.cancelGraceMs ?? 300,
        ),
      );
    };

    let launch: WorkerLaunch;
    try {
      launch = workerLaunch(options.workerPath);
      if (!existsSync(request.cwd)) throw new Error(`workspace folder ${request.cwd} does not exist`);
      child = fork(launch.path, ['--parent-pid', String(process.pid), '--memory-cap-mb', String(capMB)], {
        cwd: request.cwd,
        execArgv: [...launch.execArgv, `--max-old-space-size=${capMB}`],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
        // Its own process group (and session), so one kill reaches whatever the model starts, and a Ctrl-C on
        // the terminal reaches only this process, which decides. (On Windows it would open a console.)
        detached: !WINDOWS,
      });
    } catch (e) {
      fail({
        phase: 'worker',
        message: `Could not start the probe worker: ${e instanceof Error ? e.message : String(e)}`,
      });
      return;
    }
    if (child.pid !== undefined) options.onWorkerStarted?.(child.pid);
    // This process may exit before any timer fires (the language server on `exit`, the CLI on a second signal).
    // 'exit' listeners run synchronously, and kill() is.
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
      if (settled) return;
      // The model's processes may hold the stderr pipe open: end them, then read what the worker said last
      // ('close' comes once stderr is drained; the timer covers a grandchild that left the group with it).
      kill();
      groupKilled = true;
      const explain = (): void => fail(exitError(code, signal, stderr, capMB));
      child?.once('close', explain);
      timers.push(setTimeout(explain, 200));
    });
    timers.push(
      setTimeout(
        () =>
          fail({
            phase: 'timeout',
            message: `The audit did not finish within its budget of ${request.budgetSeconds} s; the worker was killed. Loading the model or a probe never returned: check the model's factory for an endless loop.`,
          }),
        request.budgetSeconds * 1000 + grace,
      ),
    );
    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const start: ToWorker = { type: 'start', request, startedAt };
    child.send(start);
  });
}
