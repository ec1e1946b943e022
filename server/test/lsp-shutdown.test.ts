import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { DidOpenTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import {
  AuditRequest,
  type InitializationOptions,
  ListModelsRequest,
  type ModelSummary,
} from '../../core/src/protocol/lsp';
import { startServer } from './lsp-harness';

const folder = join(__dirname, 'fixtures', 'workspace');
const file = join(folder, 'models.ts');
const uri = pathToFileURL(file).href;

/** The server's probe worker (a direct child running worker.ts or probe-worker.js), from `ps`. */
function workerOf(server: number): number | undefined {
  let lines: string[];
  try {
    lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(server)], { encoding: 'utf8' }).split(
      '\n',
    );
  } catch {
    return undefined; // ps exits 1 when nothing matches
  }
  // Other children (tsx's esbuild service) are not workers.
  const line = lines.find((l) => /\b(worker\.ts|probe-worker\.js)\b/.test(l));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/)[0]);
}

/** Running, as opposed to gone or a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false;
  }
}

/** CPU seconds `pid` has used (Linux /proc; 100 clock ticks a second), 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name: state is the 1st, utime the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Polls a process-table condition (no event tells the test when another process appears or ends). */
async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('language server shutdown', { timeout: 240_000 }, () => {
  // SIGKILL runs no handler of the server's: the worker's watchdog must notice its parent is gone.
  for (const how of ['shutdown/exit', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const)
    it(`kills a probe worker stuck in the model factory on ${how}`, (t) => stuckWorkerEnds(t, how));
});

async function stuckWorkerEnds(
  t: { after(fn: () => void): void },
  how: 'shutdown/exit' | 'SIGTERM' | 'SIGHUP' | 'SIGKILL',
): Promise<void> {
  {
    const h = startServer({ lintDelayMs: 10, backend: 'cpu', probes: { budgetSeconds: 60, points: 4 } });
    const found: { worker?: number } = {};
    t.after(() => {
      // Never leave a spinning worker behind, even when the assertion fails.
      if (found.worker !== undefined && alive(found.worker)) process.kill(found.worker, 'SIGKILL');
      h.connection.dispose();
      if (h.child.exitCode === null) h.child.kill();
    });
    const init: InitializationOptions = { workspaceTrusted: true };
    await h.initialize(folder, {
      name: 'fixture',
      capabilities: { window: { workDoneProgress: true } },
      initializationOptions: init,
    });
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'typescript', version: 1, text: readFileSync(file, 'utf8') },
    });
    await h.diagnostics(uri);
    const models = (await h.connection.sendRequest(ListModelsRequest.method, { uri })) as ModelSummary[];
    const stuck = models.find((m) => m.name === 'stuckCritic');
    assert.ok(stuck, models.map((m) => m.name).join());

    const token = 'audit-stuck';
    const pending = h.connection.sendRequest(AuditRequest.method, {
      scope: 'model',
      uri,
      modelId: stuck.id,
      workDoneToken: token,
    });
    pending.catch(() => undefined); // the connection goes away with the server
    await h.progressOf(token, 'begin');
    const server = h.child.pid!;
    const w = await until('the probe worker', 30_000, () => workerOf(server));
    found.worker = w;
    // Spinning in the factory, past loading tfjs: only a kill can stop it now (it never reads its IPC channel).
    await until('the worker to spin in the factory', 60_000, () => (cpuSeconds(w) >= 4 ? true : undefined));
    assert.ok(alive(w));

    // Not h.close(): it does both at once; each path must end the worker on its own.
    const exited = new Promise<void>((resolve) => h.child.once('exit', () => resolve()));
    if (how !== 'shutdown/exit') h.child.kill(how);
    else {
      await h.connection.sendRequest('shutdown');
      await h.connection.sendNotification('exit');
    }
    await exited;
    await until('the worker to end', 5_000, () => (alive(w) ? undefined : true));
  }
}
