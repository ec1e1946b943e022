/**
 * The files `lipschitz-lens lint` reads, from the files, folders and globs given, as ESLint expands them: a file
 * is read as named; a folder gives the source files below it; a glob (tinyglobby: `**`, `*`, `?`, `{a,b}`,
 * `[ab]`) what it matches, only source files when it ends in `*`. Folders and globs skip node_modules, dist, out
 * and dot folders (.git, .cache) and the files a .gitignore in the current folder or below ignores. Symlinks are
 * followed (a loop is entered once, not forever); a file reached by two paths is read once, by the shorter.
 */
import { realpathSync, type Stats, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
// The CommonJS build, as ts-morph loads it: the bundle then holds one copy, and the ESM build's fdir reads
// import.meta.url, which a CommonJS bundle leaves undefined (the CLI failed at start-up).
// eslint-disable-next-line @typescript-eslint/no-require-imports
import tinyglobby = require('tinyglobby');
import { GitIgnores } from './gitignore';

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** Folders a folder or glob is not expanded into (a glob may still start inside one: `dist/**\/*.js`). */
const SKIPPED_FOLDERS = ['**/node_modules/**', '**/dist/**', '**/out/**', '**/.*/**'];

function isSource(path: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => path.endsWith(ext)) && !/\.d\.[cm]?ts$/.test(path);
}

export interface Expansion {
  /** Absolute paths, sorted, each file once. */
  files: string[];
  /** Patterns that matched nothing. */
  unmatched: string[];
  /** Patterns whose every match a .gitignore ignores. */
  ignored: string[];
}

/** Expands files, folders and globs (relative to `cwd`, whose .gitignore files apply) into the files to lint. */
export function expandPatterns(patterns: readonly string[], cwd: string): Expansion {
  const root = resolve(cwd);
  const gitignores = new GitIgnores(root);
  const byRealPath = new Map<string, string>();
  const unmatched: string[] = [];
  const ignored: string[] = [];
  for (const raw of patterns) {
    const { files, named } = matches(raw.split(sep).join('/'), root);
    const kept = named ? files : files.filter((f) => !gitignores.ignores(f));
    if (files.length === 0) unmatched.push(raw);
    else if (kept.length === 0) ignored.push(raw);
    for (const file of kept) {
      const real = realPath(file);
      const seen = byRealPath.get(real);
      if (seen === undefined || file.length < seen.length || (file.length === seen.length && file < seen))
        byRealPath.set(real, file);
    }
  }
  return { files: [...new Set(byRealPath.values())].sort(), unmatched, ignored };
}

/** What one pattern matches, and whether it named a file (read whatever its name or ignore files say). */
function matches(pattern: string, root: string): { files: string[]; named: boolean } {
  const path = resolve(root, pattern);
  // An existing path is taken as named, also when it holds glob characters (`model (1).ts`).
  const stats = stat(path);
  if (stats?.isDirectory() === true) return { files: globIn(path, '**').filter(isSource), named: false };
  if (stats !== undefined) return { files: [path], named: true };
  if (!tinyglobby.isDynamicPattern(pattern)) return { files: [], named: true };
  // The glob is matched from its longest folder prefix without glob characters, so that prefix may be skipped.
  const parts = pattern.split('/');
  const first = parts.findIndex((p) => tinyglobby.isDynamicPattern(p));
  const prefix = first === 1 && parts[0] === '' ? '/' : parts.slice(0, first).join('/');
  const rest = parts.slice(first).join('/');
  const files = globIn(resolve(root, prefix), rest);
  return { files: rest.endsWith('*') ? files.filter(isSource) : files, named: false };
}

function globIn(folder: string, pattern: string): string[] {
  return tinyglobby.globSync(pattern, {
    cwd: folder,
    absolute: true,
    dot: true,
    ignore: SKIPPED_FOLDERS,
    // A glob means what it says: `src/*` is not also `src/*/**`.
    expandDirectories: false,
  });
}

function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined; // missing, or a dangling symlink
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
