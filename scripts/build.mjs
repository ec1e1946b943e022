// One build for every bundle: the CLI, the core library, and (when present) the language server, the
// extension client and the webview. Type checking is separate (`npm run typecheck`).
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// Native tfjs backends are optional: resolved where the user runs, never bundled.
const optionalNative = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'tsx'];

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: optionalNative,
  // tfjs's `main` is a prebuilt bundle with its own tfjs-core inside; its ESM entry shares the one copy the
  // backends register kernels on, so the bundle holds one engine.
  mainFields: ['module', 'main'],
};

const targets = [
  {
    ...node,
    entryPoints: [join(root, 'core/src/cli/main.ts')],
    outfile: join(root, 'dist/cli/lipschitz-lens.js'),
  },
  // The library build leaves tfjs to the user's copy (a peer dependency) so tensors never cross two engines.
  {
    ...node,
    entryPoints: { index: join(root, 'core/src/index.ts'), analysis: join(root, 'core/src/analysis.ts') },
    outdir: join(root, 'core/dist'),
    external: [...optionalNative, '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'ts-morph'],
  },
];
const optional = [
  { ...node, entryPoints: [join(root, 'server/src/main.ts')], outfile: join(root, 'dist/server/server.js') },
  // The server's analyses run on this worker thread (server/src/threaded-engine.ts starts it from beside server.js).
  {
    ...node,
    entryPoints: [join(root, 'server/src/analysis-thread.ts')],
    outfile: join(root, 'dist/server/analysis-thread.js'),
  },
  {
    ...node,
    entryPoints: [join(root, 'core/src/probes/worker.ts')],
    outfile: join(root, 'dist/server/probe-worker.js'),
  },
  {
    ...node,
    entryPoints: [join(root, 'client/src/extension.ts')],
    outfile: join(root, 'dist/client/extension.js'),
    external: ['vscode'],
  },
  // The report UI. The CLI reads it at run time (../webview/report.js); from source,
  // core/src/report/webview-bundle.ts builds it in memory with these options: keep the two in step.
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: [join(root, 'webview/src/main.ts')],
    outfile: join(root, 'dist/webview/report.js'),
    loader: { '.css': 'text' },
  },
];
for (const t of optional) if (existsSync(t.entryPoints[0])) targets.push(t);

function copyWasm() {
  const src = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  for (const dir of ['dist/cli/wasm', 'dist/server/wasm']) {
    mkdirSync(join(root, dir), { recursive: true });
    for (const f of readdirSync(src).filter((n) => n.endsWith('.wasm')))
      copyFileSync(join(src, f), join(root, dir, f));
  }
}

/**
 * The probe worker transpiles user modules with esbuild, whose API cannot be bundled. The .vsix ships no
 * node_modules, so the platform-independent esbuild-wasm package is copied beside the worker.
 */
function copyEsbuildWasm() {
  const src = join(root, 'node_modules/esbuild-wasm');
  const dest = join(root, 'dist/server/esbuild-wasm');
  for (const file of [
    'package.json',
    'lib/main.js',
    'bin/esbuild',
    'wasm_exec.js',
    'wasm_exec_node.js',
    'esbuild.wasm',
  ]) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(src, file), join(dest, file));
  }
}

/**
 * Each single-file bundle's metafile as dist/meta/<dir>_<file>.json (dist/meta/server_server.js.json), which
 * scripts/check-bundles.mjs reads to check what each bundle holds.
 */
function writeMetafiles(results) {
  mkdirSync(join(root, 'dist/meta'), { recursive: true });
  targets.forEach((t, i) => {
    if (!t.outfile) return;
    const name = relative(join(root, 'dist'), t.outfile).replace(/\//g, '_');
    writeFileSync(join(root, 'dist/meta', `${name}.json`), JSON.stringify(results[i].metafile));
  });
}

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
  copyWasm();
  copyEsbuildWasm();
} else {
  const results = await Promise.all(targets.map((t) => esbuild.build({ ...t, metafile: true })));
  writeMetafiles(results);
  copyWasm();
  copyEsbuildWasm();
  console.log(`built ${targets.length} bundles`);
}
