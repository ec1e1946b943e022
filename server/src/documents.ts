/** Paths, URIs, debouncing and the workspace file walk: the file-system side of the server. */
import { promises as fs } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const LINTED_LANGUAGES = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'];
const LINTED_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
/** Folders that never hold the user's model definitions; walking node_modules alone could take minutes. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'out', 'build', 'coverage', '.vscode-test']);
/** A workspace lint stops collecting here, so a monorepo cannot stall the server. */
export const MAX_WORKSPACE_FILES = 5000;

export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}

export function isLintedPath(path: string): boolean {
  return LINTED_EXTENSIONS.has(extname(path).toLowerCase()) && !path.endsWith('.d.ts');
}

/** Cheap text test before a workspace-wide lint: a file that mentions neither tfjs nor this package holds no model. */
export function mayHoldModels(text: string): boolean {
  return /@tensorflow\/tfjs|lipschitz-lens|\btf\.|layers\.|extends\s+\w*Layer\b/.test(text);
}

/** Lists lintable files below `root`, breadth first, skipping build and dependency folders. */
export async function listSourceFiles(root: string, limit = MAX_WORKSPACE_FILES): Promise<string[]> {
  const out: string[] = [];
  const queue = [root];
  while (queue.length > 0 && out.length < limit) {
    const dir = queue.shift()!;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable folder: skip, the lint goes on
    }
    for (const e of entries) {
      if (e.name.startsWith('.') && e.isDirectory()) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) queue.push(path);
      } else if (e.isFile() && isLintedPath(path)) {
        out.push(path);
        if (out.length >= limit) break;
      }
    }
  }
  return out.sort();
}

/** Per-key debounce: the latest call wins, earlier pending ones are dropped. */
export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  schedule(key: string, delayMs: number, run: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run();
      }, delayMs),
    );
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
