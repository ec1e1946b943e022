/**
 * Writing user-facing files (reports, SARIF, saved models) so that a failed write never damages the file
 * already there: each file is written to a temporary file in the target's folder, flushed to disk, and renamed
 * over the target, which POSIX and NTFS do in one step. A full disk or a read-only folder then leaves the
 * previous file byte for byte, and the error is one line that says which file and why.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A file or folder that cannot be written; the message is one line: "cannot write <path>: <why> (<CODE>)". */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(
    readonly path: string,
    /** The errno code (ENOSPC, EROFS, ...), when the failure came from the system. */
    readonly code: string | undefined,
    reason: string,
  ) {
    super(`cannot write ${path}: ${reason}${code === undefined ? '' : ` (${code})`}`);
  }

  /** Node's message is "ENOSPC: no space left on device, write"; keep the middle part. */
  static from(path: string, e: unknown): OutputError {
    if (e instanceof OutputError) return e;
    const err = e as NodeJS.ErrnoException;
    const code = typeof err?.code === 'string' ? err.code : undefined;
    const message = e instanceof Error ? e.message : String(e);
    const reason = /^[A-Z0-9_]+: ([^,]+)/.exec(message)?.[1] ?? message.split('\n')[0]!;
    return new OutputError(path, code, reason);
  }
}

export interface OutputFile {
  path: string;
  data: string | Uint8Array;
}

/** `.<name>.<pid>.<random>.tmp` beside the target: hidden, unique per process and call. */
function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Through a symbolic link to the file it names, so the rename replaces that file and not the link. */
function resolveTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the folder became unwritable: nothing more can be done, and the caller reports the cause.
  }
}

/** Flushes the folder's entry for the renamed file. Best effort: Windows cannot open a folder for fsync. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // The rename has happened; durability across a power cut is all that is lost here.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `data` to a new temporary file beside `target` (flushed to disk) and returns its path. */
function stage(target: string, data: string | Uint8Array): string {
  const temp = tempPathFor(target);
  let fd: number | undefined;
  try {
    // 'wx': never reuse a file someone else put at this name.
    fd = openSync(temp, 'wx', 0o666);
    // A replaced file keeps its permissions, as an in-place write would have.
    const previousMode = modeOf(target);
    if (previousMode !== undefined) fchmodSync(fd, previousMode);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let offset = 0; offset < bytes.byteLength;) {
      offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    return temp;
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // The write error is the one to report.
      }
    }
    removeQuietly(temp);
    throw OutputError.from(target, e);
  }
}

function modeOf(path: string): number | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.mode & 0o7777 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Replaces `path` with `data` in one step: readers see the old file or the new one, never part of either.
 * On failure the temporary file is removed, the old file is untouched, and an {@link OutputError} is thrown.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFilesAtomic([{ path, data }]);
}

/**
 * Writes several files that belong together (a report's JSON and HTML, a model's weights and model.json):
 * every file is staged before any is renamed, so a full disk replaces none of them. The renames then run in
 * the order given: put the file that refers to the others last.
 */
export function writeFilesAtomic(files: readonly OutputFile[]): void {
  const staged: { temp: string; target: string; shown: string }[] = [];
  try {
    for (const file of files) {
      const target = resolveTarget(file.path);
      staged.push({ temp: stage(target, file.data), target, shown: file.path });
    }
  } catch (e) {
    for (const s of staged) removeQuietly(s.temp);
    throw e;
  }
  const folders = new Set<string>();
  for (let i = 0; i < staged.length; i++) {
    const s = staged[i]!;
    try {
      renameSync(s.temp, s.target);
    } catch (e) {
      for (const rest of staged.slice(i)) removeQuietly(rest.temp);
      throw OutputError.from(s.shown, e);
    }
    folders.add(dirname(s.target));
  }
  for (const dir of folders) syncFolder(dir);
}

/**
 * `mkdir -p`, one level at a time from the nearest folder that exists. Node's own recursive mkdirSync loops
 * forever where mkdir answers ENOENT for a parent that exists (`/proc/x`), and says EEXIST for a file where
 * the folder should be.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let stat;
    try {
      stat = statSync(at);
    } catch (e) {
      const up = dirname(at);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || up === at) throw OutputError.from(dir, e);
      missing.push(at);
      at = up;
      continue;
    }
    if (!stat.isDirectory())
      throw new OutputError(dir, 'ENOTDIR', at === resolve(dir) ? 'not a folder' : `${at} is not a folder`);
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (e) {
      // Made by someone else in the meantime is fine.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(folder).isDirectory())
        throw OutputError.from(dir, e);
    }
  }
}

/**
 * Checks, before any work is done, that files can be written into `dir`: creates it if missing, then creates
 * and removes a probe file there. Permission bits alone do not answer this (root ignores them; a read-only
 * mount does not show in them), so it tries.
 */
export function checkOutputFolder(dir: string): void {
  makeFolders(dir);
  const probe = tempPathFor(join(dir, 'lipschitz-lens-write-check'));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw OutputError.from(dir, e);
  }
  removeQuietly(probe);
}

/** {@link checkOutputFolder} for the file's folder, and the file itself is not a folder. */
export function checkOutputFile(file: string): void {
  checkOutputFolder(dirname(file));
  let isFolder = false;
  try {
    isFolder = statSync(file).isDirectory();
  } catch {
    // Missing: it will be created.
  }
  if (isFolder) throw new OutputError(file, 'EISDIR', 'it is a folder');
}
