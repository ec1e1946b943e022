/**
 * The Engine, run on a worker thread (analysis-thread.ts) so that linting a large file never blocks hovers,
 * code actions or other documents. One analysis runs at a time; requests for a file that is already waiting are
 * merged (the newest text wins, every caller gets its result), and a running extraction whose file has a newer
 * text is cancelled. A request someone waits on (a hover) goes first: it also interrupts a long analysis of
 * another file, which then runs again after it. A thread that dies or hangs is replaced, and the file it was
 * analysing gets one information diagnostic instead of nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromAnalysisThread, ToAnalysisThread } from './analysis-messages';
import type { AnalyzeOptions, FileAnalysis, Logger } from './engine';

/**
 * The thread's stack: the parser and the extractor recurse per nesting level, and a larger stack lets deep code
 * be read further before the nesting limits cut it (20,000 nested calls parse with 64 MB; with a worker's
 * default 4 MB, 5,000 do not). Only the pages a deep file touches are committed.
 */
const STACK_MB = 64;

/**
 * The thread's heap cap: a file whose analysis would take more costs that file one information diagnostic (the
 * thread dies and is replaced) instead of the server's memory. The 46,012-line benchmark model analyses within a
 * 256 MB heap; 2 GB leaves 8 times that.
 */
const HEAP_MB = 2048;
/** An analysis running longer than this is taken for a hang: the thread is replaced. */
const HANG_MS = 60_000;
/** An urgent request interrupts an analysis of another file only once it has run this long (it may be close). */
const PREEMPT_AFTER_MS = 100;

interface Job {
  path: string;
  text: string;
  version: number;
  options: AnalyzeOptions;
  waiters: ((a: FileAnalysis) => void)[];
}

/** How the thread is started: from source through tsx (tests), or the bundle beside this one. */
function threadScript(): { script: string; eval: boolean } {
  if (!__filename.endsWith('.ts')) return { script: join(__dirname, 'analysis-thread.js'), eval: false };
  // A worker does not inherit tsx's loader hooks: register tsx's CommonJS hook, then load the TypeScript entry.
  const tsx = require.resolve('tsx/cjs');
  const entry = join(__dirname, 'analysis-thread.ts');
  return { script: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, eval: true };
}

export class ThreadedEngine {
  private worker: Worker | undefined;
  /** Shared with the thread: the id of the running job once it is stopped (superseded or interrupted). */
  private readonly cancel = new SharedArrayBuffer(4);
  private nextId = 1;
  private running: { id: number; job: Job; timer: NodeJS.Timeout; started: number } | undefined;
  /** Waiting jobs by path, oldest first. */
  private readonly queue = new Map<string, Job>();
  /** The text last sent for each open document: what the thread's extractor reads for it. */
  private readonly texts = new Map<string, string>();
  private readonly settled = new Set<(path: string) => void>();
  /** Calls on the thread's checkpoint reader, the last of each kind, replayed to a new thread. */
  private readonly checkpointCalls = new Map<string, unknown[]>();
  /** Jobs stopped (superseded or interrupted) whose result, if it still comes, is not anyone's. */
  private readonly dropped = new Set<number>();

  /** The thread's checkpoint reader, as far as the server drives it. */
  readonly checkpoints = {
    setRoots: (roots: readonly string[] | null): void => this.callCheckpoints('setRoots', [roots]),
    onSettled: (listener: (path: string) => void): void => void this.settled.add(listener),
  };

  constructor(
    private readonly log: Logger,
    private readonly heapMb = HEAP_MB,
  ) {}

  /** A file's text as the analysis reads it: the open document's last text sent, else the disk copy. */
  textOf(path: string): string | undefined {
    const open = this.texts.get(path);
    if (open !== undefined) return open;
    try {
      return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Analyses `text` on the thread. If a newer text of the same file arrives before this one's result, the
   * result is the newer text's (so check `version`). `urgent`: someone is waiting for it (a hover).
   */
  analyze(
    path: string,
    text: string,
    version: number,
    options: AnalyzeOptions,
    urgent = false,
  ): Promise<FileAnalysis> {
    if (version >= 0) this.texts.set(path, text);
    return new Promise((resolve) => {
      const waiting = this.queue.get(path);
      const job: Job = waiting ?? { path, text, version, options, waiters: [] };
      Object.assign(job, { text, version, options });
      job.waiters.push(resolve);
      if (!waiting) this.queue.set(path, job);
      const running = this.running;
      if (running && running.job.path === path) {
        // Superseded: its callers get the newer text's result, and its extraction stops early.
        job.waiters.push(...running.job.waiters.splice(0));
        this.stop(running.id);
      } else if (urgent) {
        this.first(job);
        if (running && Date.now() - running.started >= PREEMPT_AFTER_MS) {
          // Interrupted, not dropped: it runs again right after, for the same callers.
          this.stop(running.id);
          this.requeue(running.job);
        }
      }
      this.pump();
    });
  }

  /** The document closed: its analyses read the disk copy again. A thread started later never had its text. */
  remove(path: string): void {
    this.texts.delete(path);
    this.worker?.postMessage({ type: 'remove', path } satisfies ToAnalysisThread);
  }

  dispose(): void {
    if (this.running) clearTimeout(this.running.timer);
    void this.worker?.terminate();
    this.worker = undefined;
  }

  /** Asks the thread to stop the running job's extraction; its result, when it comes, is dropped. */
  private stop(id: number): void {
    Atomics.store(new Int32Array(this.cancel), 0, id);
    this.dropped.add(id);
  }

  /** Puts `job` at the head of the queue. */
  private first(job: Job): void {
    const rest = [...this.queue].filter(([p]) => p !== job.path);
    this.queue.clear();
    this.queue.set(job.path, job);
    for (const [p, j] of rest) this.queue.set(p, j);
  }

  /** An interrupted job goes back second in line; a newer text of its file already waiting takes its callers. */
  private requeue(job: Job): void {
    const newer = this.queue.get(job.path);
    if (newer) {
      newer.waiters.push(...job.waiters.splice(0));
      return;
    }
    const [head, ...rest] = [...this.queue];
    this.queue.clear();
    if (head) this.queue.set(...head);
    this.queue.set(job.path, job);
    for (const [p, j] of rest) this.queue.set(p, j);
  }

  /** A new thread gets the last call of each kind when it starts, so none is needed before then. */
  private callCheckpoints(method: string, args: unknown[]): void {
    this.checkpointCalls.set(method, args);
    this.worker?.postMessage({ type: 'checkpoints', method, args } satisfies ToAnalysisThread);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const { script, eval: isEval } = threadScript();
    const worker = new Worker(isEval ? script : pathToFileURL(script), {
      eval: isEval,
      workerData: { cancel: this.cancel },
      resourceLimits: { stackSizeMb: STACK_MB, maxOldGenerationSizeMb: this.heapMb },
      stdout: false,
      stderr: false,
    });
    this.worker = worker;
    // Idle, the thread must not keep the process from exiting; pump() refs it while a job runs.
    worker.unref();
    worker.on('message', (m: FromAnalysisThread) => this.receive(m));
    worker.on('error', (e) => this.lost(worker, `the analysis thread failed: ${e.message}`));
    worker.on('exit', (code) => this.lost(worker, `the analysis thread stopped (exit code ${code})`));
    // Queued before any analysis: a new thread reads checkpoints under the same roots as the last one.
    for (const [method, args] of this.checkpointCalls)
      worker.postMessage({ type: 'checkpoints', method, args });
    return worker;
  }

  private pump(): void {
    if (this.running) return;
    const next = this.queue.values().next();
    if (next.done) {
      this.worker?.unref();
      return;
    }
    const job = next.value;
    this.queue.delete(job.path);
    const id = this.nextId++;
    Atomics.store(new Int32Array(this.cancel), 0, 0);
    const worker = this.thread();
    worker.ref();
    const timer = setTimeout(() => {
      this.log(
        'error',
        `analysis of ${job.path} ran over ${HANG_MS / 1000} s; restarting the analysis thread`,
      );
      this.lost(worker, `the analysis did not finish within ${HANG_MS / 1000} s`);
    }, HANG_MS);
    this.running = { id, job, timer, started: Date.now() };
    worker.postMessage({
      type: 'analyze',
      id,
      path: job.path,
      text: job.text,
      version: job.version,
      options: job.options,
    } satisfies ToAnalysisThread);
  }

  private receive(m: FromAnalysisThread): void {
    switch (m.type) {
      case 'log':
        this.log(m.level, m.message);
        return;
      case 'checkpoint-settled':
        for (const l of this.settled) l(m.path);
        return;
      case 'analyzed':
      case 'failed': {
        const running = this.running;
        if (!running || running.id !== m.id) return;
        clearTimeout(running.timer);
        this.running = undefined;
        if (this.dropped.delete(m.id)) {
          this.pump();
          return;
        }
        if (m.type === 'failed') this.log('error', `analysis of ${running.job.path} failed: ${m.detail}`);
        const analysis =
          m.type === 'analyzed'
            ? m.analysis
            : failed(running.job, `Lipschitz Lens could not analyse this file: ${m.message}`);
        for (const w of running.job.waiters) w(analysis);
        this.pump();
        return;
      }
    }
  }

  /** The thread died or hung: the running file gets an information diagnostic, and the next job a new thread. */
  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void worker.terminate();
    const running = this.running;
    this.running = undefined;
    if (running) clearTimeout(running.timer);
    // A stopped job's callers are waiting on a newer or re-queued job, not on this run.
    if (running && !this.dropped.delete(running.id)) {
      this.log('error', `analysis of ${running.job.path}: ${why}`);
      const analysis = failed(running.job, `Lipschitz Lens could not analyse this file: ${why}.`);
      for (const w of running.job.waiters) w(analysis);
    }
    this.pump();
  }
}

function failed(job: Job, skipped: string): FileAnalysis {
  return { path: job.path, version: job.version, findings: [], bounds: new Map(), reads: new Map(), skipped };
}
