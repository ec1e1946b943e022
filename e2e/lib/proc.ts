/**
 * Child processes for the end-to-end tests: every one runs in its own process group with a deadline, its
 * output goes to a log file under test-output/e2e/logs, and `stop()` kills the whole group, so a hung
 * code-server, language server or Neovim never outlives the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LOG_DIR } from './paths';

export interface Proc {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Name of the log file under test-output/e2e/logs. */
  log: string;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the process group that `detached: true` created, so grandchildren die too.
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function start(cmd: string, args: readonly string[], opts: StartOptions): Proc {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = createWriteStream(join(LOG_DIR, opts.log));
  log.write(`$ ${cmd} ${args.join(' ')}\n`);
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const onData = (b: Buffer): void => {
    const s = b.toString();
    // Keep the tail only: code-server can be chatty over a long run.
    text = (text + s).slice(-200_000);
    log.write(s);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (e) => {
      text += `\nspawn error: ${e.message}\n`;
      resolve('spawn-error');
    });
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  void exited.then(() => log.end());
  return {
    child,
    output: () => text,
    exited,
    async stop(): Promise<void> {
      killGroup(child, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), delay(3000).then(() => false)]);
      if (!gone) {
        killGroup(child, 'SIGKILL');
        await Promise.race([exited, delay(2000)]);
      }
    },
  };
}

/** Runs a command to completion; rejects on a non-zero exit or when `timeoutMs` passes (killing it). */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: StartOptions & { timeoutMs: number },
): Promise<string> {
  const p = start(cmd, args, opts);
  const result = await Promise.race([p.exited, delay(opts.timeoutMs).then(() => 'timeout' as const)]);
  if (result === 'timeout') {
    await p.stop();
    throw new Error(
      `${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs} ms\n${p.output().slice(-4000)}`,
    );
  }
  if (result !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result}\n${p.output().slice(-4000)}`);
  }
  return p.output();
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await delay(intervalMs);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
