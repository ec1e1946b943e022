/**
 * Issue 11, item 5: three concurrent audit requests started three workers at once. Audits now queue: one worker
 * at a time by default, the waiting ones say so in their progress and can be cancelled before they start one.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CancellationTokenSource,
  LSPErrorCodes,
  ResponseError,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { ModelExtractor } from '../../core/src/extract';
import { killIfAlive, until, workersOf } from '../../core/test/probes/process-table';
import { AuditService, type AuditTarget } from '../src/audit';
import { AuditQueue, QueueAbortedError } from '../src/audit-queue';
import { normalizeSettings } from '../src/settings';

describe('AuditQueue', () => {
  it('hands out one slot at a time, first come first served, telling waiters their place', async () => {
    const queue = new AuditQueue(1);
    const heard: number[][] = [[], [], []];
    const order: number[] = [];
    const controllers = [0, 1, 2].map(() => new AbortController());
    const slots = [0, 1, 2].map((i) =>
      queue
        .acquire(controllers[i]!.signal, (ahead) => heard[i]!.push(ahead))
        .then((release) => {
          order.push(i);
          return release;
        }),
    );
    const first = await slots[0]!;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [0]);
    assert.deepEqual(heard, [[], [1], [2]]);
    first();
    first(); // a second release must not free a second slot
    const second = await slots[1]!;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [0, 1]);
    assert.deepEqual(heard[2], [2, 1]);
    second();
    (await slots[2]!)();
    assert.equal(queue.size, 0);
  });

  it('drops a waiter whose signal aborts, and lets more run when the limit is raised', async () => {
    const queue = new AuditQueue(1);
    const running = await queue.acquire(new AbortController().signal);
    const quitter = new AbortController();
    const heard: number[] = [];
    const quit = queue.acquire(quitter.signal);
    const patient = queue.acquire(new AbortController().signal, (ahead) => heard.push(ahead));
    quitter.abort();
    await assert.rejects(quit, QueueAbortedError);
    assert.deepEqual(heard, [2, 1]);
    queue.setLimit(2);
    const second = await patient;
    assert.equal(queue.size, 2);
    running();
    second();
    assert.equal(queue.size, 0);
    await assert.rejects(queue.acquire(quitter.signal), QueueAbortedError);
  });
});

/** A progress reporter that keeps the messages. */
function recorder(): WorkDoneProgressReporter & { messages: string[] } {
  const messages: string[] = [];
  return {
    messages,
    begin: () => undefined,
    report: (_: unknown, message?: string) => {
      if (typeof message === 'string') messages.push(message);
    },
    done: () => undefined,
  } as WorkDoneProgressReporter & { messages: string[] };
}

describe('AuditService queues concurrent requests', { timeout: 120_000 }, () => {
  it('runs one worker at a time; queued requests wait, say so, and cancel without starting one', async () => {
    const folder = join(__dirname, 'fixtures', 'workspace');
    const path = join(folder, 'models.ts');
    const model = new ModelExtractor().extractFile(path).models.find((m) => m.name === 'stuckCritic');
    assert.ok(model);
    const target: AuditTarget = {
      path,
      model,
      folder,
      bounds: new Map(),
      settings: normalizeSettings({ backend: 'cpu', probes: { budgetSeconds: 60, points: 2 } }),
    };
    const service = new AuditService(true, () => undefined);
    const requests = [0, 1, 2].map(() => {
      const source = new CancellationTokenSource();
      const progress = recorder();
      const done = service.audit([target], progress, source.token).then(
        () => 'finished',
        (e: unknown) =>
          e instanceof ResponseError && e.code === LSPErrorCodes.RequestCancelled ? 'cancelled' : e,
      );
      return { source, progress, done };
    });
    const seen = new Set<number>();
    let most = 0;
    const sampler = setInterval(() => {
      const workers = workersOf(process.pid);
      workers.forEach((w) => seen.add(w));
      most = Math.max(most, workers.length);
    }, 20);
    try {
      const first = await until('the first worker', 30_000, () => workersOf(process.pid)[0]);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(most, 1, `${most} workers ran at once`);
      assert.ok(requests[1]!.progress.messages.includes('stuckCritic: waiting for 1 audit'));
      assert.ok(requests[2]!.progress.messages.includes('stuckCritic: waiting for 2 audits'));

      // Cancelled while queued: answered at once, and no worker is started for it.
      requests[2]!.source.cancel();
      assert.equal(await requests[2]!.done, 'cancelled');
      assert.deepEqual(requests[1]!.progress.messages.slice(-1), ['stuckCritic: waiting for 1 audit']);

      // The running one cancelled: the next in line gets the slot.
      requests[0]!.source.cancel();
      assert.equal(await requests[0]!.done, 'cancelled');
      const second = await until('the second worker', 30_000, () =>
        workersOf(process.pid).find((w) => w !== first),
      );
      requests[1]!.source.cancel();
      assert.equal(await requests[1]!.done, 'cancelled');
      assert.equal(most, 1, `${most} workers ran at once`);
      assert.deepEqual([...seen].sort(), [first, second].sort());
    } finally {
      clearInterval(sampler);
      service.dispose();
      seen.forEach(killIfAlive);
    }
  });
});
