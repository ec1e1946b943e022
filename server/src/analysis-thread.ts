/**
 * Entry of the analysis thread (a worker_threads worker, dist/server/analysis-thread.js): the Engine (parse,
 * extract, bounds, rules) runs here, so a large file's lint never holds up the server's requests. Messages are
 * plain data: text in, a FileAnalysis out (structured clone). The thread has its own, larger stack, so deep
 * code goes further before the nesting limits apply; `cancel` (a shared flag) stops a superseded extraction.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setCancellationCheck } from '../../core/src/extract/session';
import { describe, Engine, type FileAnalysis } from './engine';
import type { FromAnalysisThread, ToAnalysisThread } from './analysis-messages';

const port = parentPort;
if (!port) throw new Error('analysis-thread.ts runs as a worker thread');

/** Written by the server: the id of a job whose result is no longer wanted. */
const cancelled = new Int32Array((workerData as { cancel: SharedArrayBuffer }).cancel);
let current = 0;
setCancellationCheck(() => current !== 0 && Atomics.load(cancelled, 0) === current);

const send = (m: FromAnalysisThread): void => port.postMessage(m);
const engine = new Engine((level, message) => send({ type: 'log', level, message }));

/** The checkpoint reader, when this Engine has one (read in the background, here off the request thread). */
interface Checkpoints {
  onSettled?(listener: (path: string) => void): void;
  [method: string]: unknown;
}
const checkpoints = (engine as unknown as { checkpoints?: Checkpoints }).checkpoints;
checkpoints?.onSettled?.((path) => send({ type: 'checkpoint-settled', path }));

port.on('message', (m: ToAnalysisThread) => {
  switch (m.type) {
    case 'analyze':
      void analyze(m.id, m.path, m.text, m.version, m.options);
      return;
    case 'remove':
      engine.remove(m.path);
      return;
    case 'checkpoints': {
      const method = checkpoints?.[m.method];
      if (typeof method === 'function') method.apply(checkpoints, m.args);
      return;
    }
  }
});

async function analyze(
  id: number,
  path: string,
  text: string,
  version: number,
  options: Parameters<Engine['analyze']>[3],
): Promise<void> {
  current = id;
  try {
    // Awaited so an Engine whose analysis is asynchronous is served the same way.
    const analysis: FileAnalysis = await engine.analyze(path, text, version, options);
    send({ type: 'analyzed', id, analysis });
  } catch (e) {
    // The Engine guards each stage; this is the last line, so the file still gets a diagnostic.
    send({ type: 'failed', id, message: e instanceof Error ? e.message : String(e), detail: describe(e) });
  } finally {
    current = 0;
  }
}
