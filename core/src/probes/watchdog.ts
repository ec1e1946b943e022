/**
 * The probe worker's watchdog: a thread of the worker process (worker_threads), started before the model's
 * module loads, so it keeps running while the model's code never yields the main thread. Every 50 ms it checks
 * that the parent still lives and that the process's resident size is under the memory cap; if not, it writes
 * one line on stderr for the parent and SIGKILLs the worker's process group (the worker is its leader), which
 * takes the model's child processes with it. On Windows, which has no groups to signal, it ends the worker only.
 */
import { Worker } from 'node:worker_threads';

/** Starts every line the watchdog writes on stderr; the parent looks for it after the worker dies. */
export const WATCHDOG_MARK = 'lipschitz-lens watchdog:';

export interface WatchdogOptions {
  /** The pid that started the worker; once that process is gone, so is the worker. */
  parentPid: number;
  memoryCapMB: number;
  intervalMs?: number;
}

// Plain JS evaluated in the thread: a source file would have to be found beside the bundle, and a stringified
// function would carry the transpiler's helpers. fs.writeSync, because the thread's process.stderr is relayed
// through the main thread, which may never run again. process.memoryUsage.rss() is the whole process's.
const THREAD_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { parentPid, capBytes, intervalMs, mark } = workerData;
function stop(why) {
  try { writeSync(2, mark + ' ' + why + '\\n'); } catch {}
  try { process.kill(-process.pid, 'SIGKILL'); } catch { process.kill(process.pid, 'SIGKILL'); }
}
function parentGone() {
  // Linux and macOS reparent an orphan; Windows keeps the old ppid, so ask whether that pid still exists.
  if (process.ppid !== parentPid) return true;
  try { process.kill(parentPid, 0); return false; } catch (e) { return e.code === 'ESRCH'; }
}
setInterval(() => {
  if (parentGone()) return stop('parent-gone');
  const rss = process.memoryUsage.rss();
  if (rss > capBytes) stop('memory ' + Math.round(rss / 1048576));
}, intervalMs);
`;

/** Starts the watchdog thread; it never keeps the worker alive on its own. */
export function startWatchdog(options: WatchdogOptions): void {
  const thread = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      parentPid: options.parentPid,
      capBytes: options.memoryCapMB * 1024 * 1024,
      // 50 ms: a model can fill memory at 3 GB/s, so the cap is overshot by up to ~150 MB.
      intervalMs: options.intervalMs ?? 50,
      mark: WATCHDOG_MARK,
    },
    // The thread needs only a few MB; keep it from counting much against the cap it enforces.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  // Without it the worker is unguarded but still killed by its parent on cancel, budget and exit: say so.
  thread.on('error', (e) => process.stderr.write(`${WATCHDOG_MARK} not running: ${e.message}\n`));
  thread.unref();
}

/** Ends the worker's process group (the worker leads it), or only the worker where there are no groups. */
export function killOwnGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(1);
  }
}

export type WatchdogVerdict = { kind: 'parent-gone' } | { kind: 'memory'; residentMB: number };

/** What the watchdog said before it killed the worker, from the worker's stderr; undefined when it said nothing. */
export function watchdogVerdict(stderr: string): WatchdogVerdict | undefined {
  const verdicts = [...stderr.matchAll(new RegExp(`^${WATCHDOG_MARK} (parent-gone|memory (\\d+))$`, 'gm'))];
  const last = verdicts.at(-1);
  if (last === undefined) return undefined;
  return last[2] === undefined ? { kind: 'parent-gone' } : { kind: 'memory', residentMB: Number(last[2]) };
}

/** V8's last words when the JS heap reached --max-old-space-size. */
export function heapExhausted(stderr: string): boolean {
  return /JavaScript heap out of memory|Reached heap limit/.test(stderr);
}
