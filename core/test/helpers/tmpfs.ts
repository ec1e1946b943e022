/**
 * A tiny tmpfs for tests of full disks and read-only folders. Mounting needs root (or CAP_SYS_ADMIN) on Linux;
 * elsewhere `mountTmpfs` gives the reason to skip instead.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/** A tmpfs of `sizeKb` at a fresh temp folder, or why one cannot be had here. */
export function mountTmpfs(sizeKb: number, options: { readOnly?: boolean } = {}): Tmpfs | { skip: string } {
  if (process.platform !== 'linux') return { skip: `tmpfs mounts need Linux (this is ${process.platform})` };
  const dir = mkdtempSync(join(tmpdir(), 'll-tmpfs-'));
  const opts = `size=${sizeKb}k${options.readOnly === true ? ',ro' : ''}`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return {
      skip: `cannot mount a tmpfs here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
    };
  }
  return {
    dir,
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system holding `dir` to the last byte, with a file named `name`. Only for a tmpfs from above. */
export function fillUp(dir: string, name = 'filler'): void {
  const fd = openSync(join(dir, name), 'w');
  const chunk = Buffer.alloc(4096);
  try {
    // A write that only partly fits returns short; the next one fails.
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}
