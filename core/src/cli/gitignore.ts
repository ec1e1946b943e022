/**
 * The .gitignore files of a folder and the folders below it, read with git's own rules by node-ignore: the deepest
 * .gitignore with a rule about a path decides (a `!` rule re-includes), and nothing inside an ignored folder is
 * re-included, since git does not look inside it.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

// Git matches case-insensitively where the file system does (core.ignorecase) and exactly elsewhere.
const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

export class GitIgnores {
  /** A folder's .gitignore rules, or undefined where it has none. */
  private readonly rules = new Map<string, Ignore | undefined>();
  private readonly ignoredFolders = new Map<string, boolean>();

  /** `root`: an absolute folder; .gitignore files above it are not read. */
  constructor(private readonly root: string) {}

  /** Whether git would ignore this file (an absolute path); a file outside the root never is. */
  ignores(file: string): boolean {
    const rel = relative(this.root, file);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
    return this.folderIgnored(dirname(file)) || this.decides(file, false);
  }

  private folderIgnored(folder: string): boolean {
    if (folder === this.root || dirname(folder) === folder) return false;
    let ignored = this.ignoredFolders.get(folder);
    if (ignored === undefined) {
      ignored = this.folderIgnored(dirname(folder)) || this.decides(folder, true);
      this.ignoredFolders.set(folder, ignored);
    }
    return ignored;
  }

  /** The verdict of the deepest .gitignore (from the path's folder up to the root) with a rule about the path. */
  private decides(path: string, isFolder: boolean): boolean {
    for (let folder = dirname(path); ; folder = dirname(folder)) {
      const rules = this.rulesOf(folder);
      if (rules !== undefined) {
        const rel = relative(folder, path).split(sep).join('/') + (isFolder ? '/' : '');
        const { ignored, unignored } = rules.test(rel);
        if (ignored) return true;
        if (unignored) return false;
      }
      if (folder === this.root || dirname(folder) === folder) return false;
    }
  }

  private rulesOf(folder: string): Ignore | undefined {
    if (!this.rules.has(folder)) {
      let text: string | undefined;
      try {
        text = readFileSync(join(folder, '.gitignore'), 'utf8');
      } catch {
        text = undefined; // no .gitignore here (or unreadable, which git also skips)
      }
      this.rules.set(folder, text === undefined ? undefined : ignore({ ignorecase: IGNORE_CASE }).add(text));
    }
    return this.rules.get(folder);
  }
}
