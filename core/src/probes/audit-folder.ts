/**
 * The folder an audit of a file runs in (the worker's cwd): the nearest folder above the file with a package.json,
 * else the file's own. The user's tfjs, its backends and lipschitz-lens are resolved from there, so the CLI and
 * the editor, which both call this, pick the same tfjs and the same backend for the same file. (The editor used
 * its workspace folder: a package nested in it, with its own tfjs-node, audited on another backend than the CLI.)
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function auditFolder(file: string): string {
  let dir = dirname(resolve(file));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return dirname(resolve(file));
    dir = up;
  }
}
