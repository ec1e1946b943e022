/**
 * A small glob over node:fs (Node 20 has no fs.globSync): `**` spans folders, `*` and `?` stay within one,
 * `{a,b}` alternates. Folders expand to the source files below them, as ESLint does.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'out']);

function isSource(name: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext)) && !/\.d\.[cm]?ts$/.test(name);
}

function walkFiles(dir: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      continue; // a dangling symlink
    }
    if (isDir) {
      if (!SKIPPED_DIRS.has(name) && !name.startsWith('.')) walkFiles(path, out);
    } else {
      out.push(path);
    }
  }
}

export function hasGlob(pattern: string): boolean {
  return /[*?{]/.test(pattern);
}

/** Converts a glob (forward slashes) to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      const close = glob.indexOf('}', i);
      if (close < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, close)
          .split(',')
          .map((alt) => alt.replace(/[.+^$()|[\]\\]/g, '\\$&'))
          .join('|')})`;
        i = close;
      }
    } else re += ch.replace(/[.+^$()|[\]\\}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface Expansion {
  files: string[];
  /** Patterns that matched nothing. */
  unmatched: string[];
}

/** Expands files, folders and globs (relative to `cwd`) into sorted, unique absolute paths. */
export function expandPatterns(patterns: readonly string[], cwd: string): Expansion {
  const files = new Set<string>();
  const unmatched: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.split(sep).join('/');
    const found: string[] = [];
    if (!hasGlob(pattern)) {
      const path = resolve(cwd, pattern);
      let isDir = false;
      let exists = true;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        exists = false;
      }
      if (isDir) {
        const all: string[] = [];
        walkFiles(path, all);
        found.push(...all.filter((f) => isSource(f)));
      } else if (exists) found.push(path);
    } else {
      // Walk from the longest folder prefix without glob characters.
      const parts = pattern.split('/');
      const firstGlob = parts.findIndex((p) => hasGlob(p));
      const base = resolve(cwd, parts.slice(0, firstGlob).join('/') || '.');
      const rest = parts.slice(firstGlob).join('/');
      const re = globToRegExp(rest);
      const all: string[] = [];
      walkFiles(base, all);
      for (const f of all) {
        const rel = relative(base, f).split(sep).join('/');
        if (re.test(rel) && (isSource(f) || !rest.endsWith('*'))) found.push(f);
      }
    }
    if (found.length === 0) unmatched.push(raw);
    for (const f of found) files.add(isAbsolute(f) ? f : resolve(cwd, f));
  }
  return { files: [...files].sort(), unmatched };
}
