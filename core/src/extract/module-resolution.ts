/**
 * Whether an import would compile: TypeScript's own module resolution from a file, under the compiler options of
 * the file's nearest tsconfig.json / jsconfig.json (paths, baseUrl, moduleResolution, extends). A quick fix that
 * imports `lipschitz-lens` is only offered as a plain edit where this says the package resolves.
 *
 * Files are read only inside the allowed roots (the workspace folders, as for checkpoints): the source asking
 * may be untrusted, and a tsconfig's `extends` must not make the server read elsewhere.
 */
import { dirname, join } from 'node:path';
import { ts } from 'ts-morph';
import { isInside } from '../bounds/checkpoint-access';

/** How long an answer is reused: a package installed from a terminal shows up within this. */
const FRESH_MS = 2000;

const CONFIG_NAMES = ['tsconfig.json', 'jsconfig.json'];

export class ModuleResolution {
  private readonly answers = new Map<string, { resolves: boolean; at: number }>();

  /** @param roots folders reads may touch; none: the file's nearest package.json folder (a file outside folders). */
  constructor(
    private readonly roots: () => readonly string[] | null,
    private readonly now: () => number = Date.now,
  ) {}

  resolves(fromFile: string, specifier: string): boolean {
    const key = `${dirname(fromFile)}\0${specifier}`;
    const known = this.answers.get(key);
    const t = this.now();
    if (known && t - known.at < FRESH_MS) return known.resolves;
    const resolves = this.resolveNow(fromFile, specifier);
    this.answers.set(key, { resolves, at: t });
    return resolves;
  }

  private resolveNow(fromFile: string, specifier: string): boolean {
    const host = confinedHost(this.allowedRoots(fromFile));
    try {
      const options = compilerOptionsFor(fromFile, host);
      const { resolvedModule } = ts.resolveModuleName(specifier, fromFile, options, host);
      return resolvedModule !== undefined;
    } catch {
      // An unreadable or malformed config: the import's fate is unknown, so the fix must not assume it compiles.
      return false;
    }
  }

  private allowedRoots(fromFile: string): readonly string[] | null {
    const roots = this.roots();
    if (roots === null || roots.length > 0) return roots;
    for (let dir = dirname(fromFile); ; dir = dirname(dir)) {
      if (ts.sys.fileExists(join(dir, 'package.json'))) return [dir];
      if (dirname(dir) === dir) return [dirname(fromFile)];
    }
  }
}

type Host = ts.ModuleResolutionHost & ts.ParseConfigHost;

/**
 * Contents (a tsconfig and what it extends, a package's package.json) are read only inside the roots; whether a
 * path exists is asked anywhere, so a `paths` mapping or a link to a sibling folder still resolves.
 */
function confinedHost(roots: readonly string[] | null): Host {
  const allowed = (p: string): boolean => roots === null || roots.some((r) => isInside(p, r));
  return {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    fileExists: (p) => ts.sys.fileExists(p),
    readFile: (p) => (allowed(p) ? ts.sys.readFile(p) : undefined),
    directoryExists: (p) => ts.sys.directoryExists(p),
    getCurrentDirectory: () => ts.sys.getCurrentDirectory(),
    // Only the options are wanted, not the program's file list: listing would walk the whole project.
    readDirectory: () => [],
  };
}

function compilerOptionsFor(fromFile: string, host: Host): ts.CompilerOptions {
  const js = /\.[cm]?jsx?$/.test(fromFile);
  for (const name of CONFIG_NAMES) {
    const config = ts.findConfigFile(dirname(fromFile), host.fileExists, name);
    if (config === undefined) continue;
    const read = ts.readConfigFile(config, host.readFile);
    if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
    const parsed = ts.parseJsonConfigFileContent(read.config, host, dirname(config), undefined, config);
    return js ? { allowJs: true, ...parsed.options } : parsed.options;
  }
  // No config: what `tsc` and the editor assume for a loose file.
  return { allowJs: js, moduleResolution: ts.ModuleResolutionKind.Node10 };
}
