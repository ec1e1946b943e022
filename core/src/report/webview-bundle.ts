/**
 * The text of the report UI bundle (dist/webview/report.js), for pages that inline it: the CLI's audit HTML.
 *
 * Bundled CLI (dist/cli/lipschitz-lens.js): the file beside it, ../webview/report.js, made by the same
 * scripts/build.mjs run. It is read when the report is written, so build order does not matter.
 * From source (tsx, tests): dist/webview/report.js when it is newer than the sources it is built from, else an
 * in-memory esbuild build with the options scripts/build.mjs uses for its webview target.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export class WebviewBundleError extends Error {}

/** The repository root, when this module runs from source (core/src/report). */
const SOURCE_ROOT = join(__dirname, '..', '..', '..');
/** What the bundle is built from: a newer file here makes dist/webview/report.js stale. */
const SOURCE_DIRS = ['webview/src', 'core/src/protocol', 'core/src/report', 'core/src/monitor'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** A source map comment would point at a file the standalone page does not have (the extension's export too). */
export function stripSourceMap(code: string): string {
  return code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

async function buildInMemory(root: string): Promise<string> {
  // Through createRequire, as in probes/load-model.ts: bundlers leave it alone, and esbuild's API must stay
  // inside its package to find its binary. A devDependency, so only a source checkout reaches this.
  const esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
  // Same options as scripts/build.mjs' webview target (development build, no source map).
  const result = await esbuild.build({
    entryPoints: [join(root, 'webview/src/main.ts')],
    outfile: join(root, 'dist/webview/report.js'),
    write: false,
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    loader: { '.css': 'text' },
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no JavaScript');
  return js.text;
}

/**
 * The bundle's JavaScript. `from` is the running module (tests pass their own); a `.ts` name means a source
 * checkout. Throws a WebviewBundleError saying how to get the bundle when neither way works.
 */
export async function loadWebviewBundle(from = __filename): Promise<string> {
  if (!from.endsWith('.ts')) {
    const beside = join(from, '..', '..', 'webview', 'report.js');
    if (existsSync(beside)) return stripSourceMap(readFileSync(beside, 'utf8'));
    throw new WebviewBundleError(
      `the report UI bundle ${beside} is missing; this install is incomplete (npm run build makes it)`,
    );
  }
  const built = join(SOURCE_ROOT, 'dist', 'webview', 'report.js');
  if (existsSync(built)) {
    const mtime = statSync(built).mtimeMs;
    if (SOURCE_DIRS.every((d) => newestMtime(join(SOURCE_ROOT, d)) <= mtime))
      return stripSourceMap(readFileSync(built, 'utf8'));
  }
  try {
    return await buildInMemory(SOURCE_ROOT);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new WebviewBundleError(
      `the report UI bundle ${built} is missing or older than webview/src, and building it failed (${why}); ` +
        'run npm run build',
    );
  }
}
