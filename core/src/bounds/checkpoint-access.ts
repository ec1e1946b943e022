/**
 * Whether a checkpoint file may be read, and reading it if so: a regular file, inside one of the allowed roots
 * after symlinks are resolved, no larger than a cap. The server reads files named by workspace source (a JSDoc
 * `@checkpoint`, a model.json's `weightsManifest.paths`), and in Restricted Mode that source is untrusted: a path
 * outside the roots is refused before anything is opened, a FIFO or device is never read (and opening one never
 * blocks), and no error message quotes the file's bytes.
 */
import {
  constants,
  closeSync,
  fstatSync,
  openSync,
  promises as fs,
  readSync,
  type Stats,
  statSync,
} from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/** Size caps, in bytes. */
export interface ReadLimits {
  /**
   * model.json: topology plus manifest. Real ones are tens of kB (a few MB for very deep models): 4 MB bounds
   * what JSON.parse may allocate on the server (a parsed object takes several times its text).
   */
  modelJsonBytes: number;
  /**
   * All weight shards together. The static bounds hold them as float64 (twice the float32 bytes) while Gram and
   * conv bounds run: 64 MB is 16M parameters, more than the flows and i-ResNets this tool bounds, and keeps the
   * language server's peak near 200 MB. A larger checkpoint gets an "over the limit" note; the audit measures it.
   */
  weightsBytes: number;
}

export const STATIC_BOUND_LIMITS: ReadLimits = { modelJsonBytes: 4 * 2 ** 20, weightsBytes: 64 * 2 ** 20 };

/**
 * A refusal or failure, worded from the path and the file's metadata only: never from its content, so it may be
 * shown in a hover or a diagnostic.
 */
export class CheckpointAccessError extends Error {
  override name = 'CheckpointAccessError';
}

/** Which files may be read: `roots` are absolute folder paths (symlinks resolved or not); null allows any path. */
export interface AccessPolicy {
  roots: readonly string[] | null;
  /** What the roots are, for refusals (default: the workspace folders). */
  rootsName?: string;
}

export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function mb(bytes: number): string {
  return `${Number((bytes / 2 ** 20).toPrecision(3))} MB`;
}

function outside(path: string, policy: AccessPolicy): CheckpointAccessError {
  return new CheckpointAccessError(
    `${path} is outside ${policy.rootsName ?? 'the workspace folders'}: not read`,
  );
}

/** What an fs error means, without its message (which is safe, but names syscalls users need not read). */
function fsFailure(path: string, e: unknown): CheckpointAccessError {
  if (e instanceof CheckpointAccessError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'not found'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ELOOP'
          ? 'too many symbolic links'
          : `cannot be read (${code ?? 'unknown error'})`;
  return new CheckpointAccessError(`${path}: ${why}`);
}

/** Refuses anything but a regular file of at most `maxBytes`. */
function checkStat(path: string, stat: Stats, maxBytes: number): void {
  if (!stat.isFile())
    throw new CheckpointAccessError(
      `${path} is not a regular file (${stat.isFIFO() ? 'a FIFO' : stat.isDirectory() ? 'a folder' : 'a device or socket'}): not read`,
    );
  if (stat.size > maxBytes)
    throw new CheckpointAccessError(`${path} is ${mb(stat.size)}, over the ${mb(maxBytes)} limit: not read`);
}

// A FIFO opened for reading without O_NONBLOCK waits for a writer; with it, open returns and fstat says FIFO.
// Windows has no such flag (and no FIFOs in the file system), hence the fallback to 0.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export interface ReadFile {
  bytes: Buffer;
  mtimeMs: number;
  size: number;
}

/**
 * Reads `path` if the policy allows it. Lexically outside every root: refused without a system call. Then the
 * real path must be inside a root too (a symlink in the workspace may point anywhere), and the file is stat'ed
 * before it is opened (a device is never opened) and fstat'ed after (it may have been swapped in between).
 */
export async function readContained(path: string, policy: AccessPolicy, maxBytes: number): Promise<ReadFile> {
  const roots = policy.roots;
  const abs = resolve(path);
  if (roots !== null && !roots.some((r) => isInside(abs, r))) throw outside(path, policy);
  try {
    const real = await fs.realpath(abs);
    if (roots !== null) {
      const realRoots = await Promise.all(roots.map((r) => fs.realpath(r).catch(() => r)));
      if (!realRoots.some((r) => isInside(real, r))) throw outside(path, policy);
    }
    checkStat(path, await fs.stat(real), maxBytes);
    const handle = await fs.open(real, OPEN_FLAGS);
    try {
      const stat = await handle.stat();
      checkStat(path, stat, maxBytes);
      const bytes = Buffer.alloc(stat.size);
      let at = 0;
      while (at < bytes.length) {
        const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return { bytes: bytes.subarray(0, at), mtimeMs: stat.mtimeMs, size: stat.size };
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw fsFailure(path, e);
  }
}

/**
 * The same checks without containment, synchronously, for the probe worker's sample and checkpoint files (its
 * paths come from the user's command line or a trusted workspace; what still matters there is that a FIFO or
 * /dev/zero neither hangs nor fills memory).
 */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  try {
    checkStat(path, statSync(path), maxBytes);
    const fd = openSync(path, OPEN_FLAGS);
    try {
      const stat = fstatSync(fd);
      checkStat(path, stat, maxBytes);
      const bytes = Buffer.alloc(stat.size);
      let at = 0;
      while (at < bytes.length) {
        const n = readSync(fd, bytes, at, bytes.length - at, at);
        if (n === 0) break;
        at += n;
      }
      return bytes.subarray(0, at);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw fsFailure(path, e);
  }
}

/** Where JSON.parse failed, from its message, without the excerpt of the input that Node puts in it. */
function jsonErrorPosition(e: unknown): string {
  const m = e instanceof Error ? /at position (\d+)/.exec(e.message) : null;
  return m ? ` at position ${m[1]}` : '';
}

/**
 * JSON.parse whose error says where, never what: Node's message quotes the text around the error (for
 * /etc/passwd, its first line). `what` names the input in the message.
 */
export function parseJsonQuietly(text: string, what: string): unknown {
  let position: string;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    position = jsonErrorPosition(e);
  }
  throw new CheckpointAccessError(`${what} is not valid JSON${position}`);
}
