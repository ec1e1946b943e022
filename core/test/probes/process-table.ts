/**
 * Reads the process table for the containment tests: which processes a parent started, whether a pid still
 * runs, how much CPU it used. Linux `ps` and /proc; no event tells a test when another process starts or ends,
 * so `until` polls.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Direct children of `parent` whose command line matches `pattern`. */
export function childrenOf(parent: number, pattern: RegExp): number[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when nothing matches
  }
  return out
    .split('\n')
    .filter((l) => pattern.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** The probe worker processes `parent` started (tsx's esbuild service is a child too, and not one). */
export function workersOf(parent: number): number[] {
  return childrenOf(parent, /\b(worker\.ts|probe-worker\.js)\b/);
}

/** Running, as opposed to gone or a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!;
    return !stat.startsWith('Z');
  } catch {
    return false;
  }
}

/** CPU seconds `pid` has used (100 clock ticks a second), 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name: state is the 1st, utime the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Polls `probe` every 20 ms until it returns a value; throws after `ms`. */
export async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Milliseconds from now until `pid` is gone, or `limitMs` when it is still running then. */
export async function msUntilGone(pid: number, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (alive(pid) && Date.now() - t0 < limitMs) await new Promise((r) => setTimeout(r, 5));
  return Date.now() - t0;
}

/** Never leave a spinning process behind when an assertion fails. */
export function killIfAlive(pid: number | undefined): void {
  if (pid === undefined || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone between the check and the kill
  }
}
