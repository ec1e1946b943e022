/**
 * Checkpoint norms, read in the background and kept per model.json path with the mtime and size of every file
 * they came from. The bound calculus is synchronous and runs on the server's request path, so it only looks
 * here: a checkpoint not read yet is `pending` (its layers stay unknown, with a note) until the read and the
 * kernel bounds are done, and then listeners hear of it so diagnostics and hovers can be computed again.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import {
  type AccessPolicy,
  CheckpointAccessError,
  isInside,
  type ReadLimits,
  STATIC_BOUND_LIMITS,
} from './checkpoint-access';
import { type CheckpointNorms, checkpointNorms, type FileStamp, readCheckpoint } from './checkpoint';

export type CheckpointLookup =
  { state: 'ready'; norms: CheckpointNorms } | { state: 'pending' } | { state: 'failed'; reason: string };

interface Entry {
  lookup: CheckpointLookup;
  /** What the result was computed from; for a failure, model.json alone (undefined: never re-checked). */
  stamps?: FileStamp[];
  loading?: Promise<CheckpointLookup>;
  checking?: boolean;
  /** Looked up while a check was running: the files may have changed after its stat, so check once more. */
  recheck?: boolean;
}

const PENDING: CheckpointLookup = { state: 'pending' };

/** A failure for a hover: our own messages as they are; anything else by its kind (it might quote content). */
function failureReason(e: unknown): string {
  if (e instanceof CheckpointAccessError) return e.message;
  return `could not be read (${e instanceof Error ? e.name : 'error'})`;
}

export class CheckpointCache {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(path: string) => void>();

  constructor(
    private policy: AccessPolicy,
    private readonly limits: ReadLimits = STATIC_BOUND_LIMITS,
  ) {}

  /** The folders reads may touch (null: anywhere). */
  get roots(): readonly string[] | null {
    return this.policy.roots;
  }

  /** New allowed roots (workspace folders changed): what was read or refused under the old ones is dropped. */
  setRoots(roots: readonly string[] | null): void {
    const same =
      roots === this.policy.roots ||
      (roots !== null &&
        this.policy.roots !== null &&
        roots.length === this.policy.roots.length &&
        roots.every((r, i) => r === this.policy.roots![i]));
    if (same) return;
    this.policy = { roots };
    this.entries.clear();
  }

  /** Called with the model.json path whenever a read settles (ready or failed). Returns an unsubscribe. */
  onSettled(listener: (path: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What is known now, with no I/O. */
  peek(path: string): CheckpointLookup | undefined {
    return this.entries.get(path)?.lookup;
  }

  /**
   * What is known now; starts the read in the background when there is none, and otherwise checks (by stat,
   * in the background) whether the files changed since, reading again if so.
   */
  lookup(path: string): CheckpointLookup {
    const entry = this.entries.get(path);
    if (!entry) {
      void this.load(path);
      return PENDING;
    }
    if (entry.checking) entry.recheck = true;
    else if (!entry.loading) void this.revalidate(path, entry);
    return entry.lookup;
  }

  /** Reads (once at a time per path) and resolves when the norms, or the reason there are none, are known. */
  load(path: string): Promise<CheckpointLookup> {
    const current = this.entries.get(path);
    if (current?.loading) return current.loading;
    const entry: Entry = { lookup: PENDING };
    this.entries.set(path, entry);
    const policy = this.policy;
    entry.loading = (async (): Promise<CheckpointLookup> => {
      let result: CheckpointLookup;
      try {
        const read = await readCheckpoint(path, policy, this.limits);
        entry.stamps = read.stamps;
        result = { state: 'ready', norms: await checkpointNorms(read.checkpoint) };
      } catch (e) {
        result = { state: 'failed', reason: failureReason(e) };
        entry.stamps = await this.failureStamp(path, policy);
      }
      entry.lookup = result;
      entry.loading = undefined;
      // Roots changed or a newer read started meanwhile: this result is nobody's.
      if (this.entries.get(path) === entry) this.notify(path);
      return result;
    })();
    return entry.loading;
  }

  /**
   * A failed read is retried when model.json changes. Its stat is only taken inside the roots: a refused path
   * outside them stays refused (and untouched) until the roots change.
   */
  private async failureStamp(path: string, policy: AccessPolicy): Promise<FileStamp[] | undefined> {
    const abs = resolve(path);
    if (policy.roots !== null && !policy.roots.some((r) => isInside(abs, r))) return undefined;
    const stat = await fs.stat(abs).catch(() => undefined);
    return [{ path: abs, mtimeMs: stat?.mtimeMs ?? -1, size: stat?.size ?? -1 }];
  }

  private async revalidate(path: string, entry: Entry): Promise<void> {
    const stamps = entry.stamps;
    if (stamps === undefined) return;
    entry.checking = true;
    entry.recheck = false;
    try {
      const now = await Promise.all(stamps.map((s) => fs.stat(s.path).catch(() => undefined)));
      const changed = stamps.some(
        (s, i) => (now[i]?.mtimeMs ?? -1) !== s.mtimeMs || (now[i]?.size ?? -1) !== s.size,
      );
      if (changed && this.entries.get(path) === entry) {
        this.entries.delete(path);
        void this.load(path);
      }
    } finally {
      entry.checking = false;
    }
    if (entry.recheck && this.entries.get(path) === entry) void this.revalidate(path, entry);
  }

  private notify(path: string): void {
    for (const listener of this.listeners) {
      try {
        listener(path);
      } catch {
        // A listener's bug must not stop the others hearing about it.
      }
    }
  }
}

/** Reads every path (the CLI's way: wait for all, then compute bounds with `peek`). */
export async function loadAll(cache: CheckpointCache, paths: Iterable<string>): Promise<void> {
  await Promise.all([...new Set(paths)].map((p) => cache.load(p)));
}
