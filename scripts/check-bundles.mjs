// The dependency rule, checked on what was actually built: the language server's bundles hold no tfjs and do not
// load `vscode`; the extension client holds no tfjs. scripts/build.mjs writes each bundle's esbuild metafile to
// dist/meta/; this reads them. Run after a build: node scripts/check-bundles.mjs (exit 1 on a violation).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Per bundle (its output file under dist/), the modules it must neither contain nor load at run time, and those it
 * must contain: the .vsix ships no node_modules, so a backend the worker does not carry is one it cannot load.
 */
export const RULES = {
  'server/server.js': { forbidden: ['@tensorflow/', 'vscode'] },
  'server/analysis-thread.js': { forbidden: ['@tensorflow/', 'vscode'] },
  'client/extension.js': { forbidden: ['@tensorflow/'] },
  'server/probe-worker.js': { forbidden: ['vscode'], required: ['@tensorflow/tfjs-backend-wasm'] },
  'cli/lipschitz-lens.js': { forbidden: ['vscode'], required: ['@tensorflow/tfjs-backend-wasm'] },
};

/** Whether a module specifier or a bundled input path is the forbidden package (or inside it). */
function matches(spec, forbidden) {
  if (forbidden.endsWith('/'))
    return spec.startsWith(forbidden) || spec.includes(`node_modules/${forbidden}`);
  return (
    spec === forbidden || spec.startsWith(`${forbidden}/`) || spec.includes(`node_modules/${forbidden}/`)
  );
}

/**
 * What a bundle holds or loads that it must not, from its esbuild metafile: inputs bundled into it (source files
 * of a forbidden package), and imports left external (which would be required at run time).
 * @param {{ inputs: Record<string, unknown>, outputs: Record<string, { imports?: { path: string, external?: boolean }[] }> }} metafile
 * @param {{ forbidden: string[], required?: string[] }} rule
 * @returns {string[]} one line per violation
 */
export function violations(metafile, rule) {
  const out = [];
  for (const input of Object.keys(metafile.inputs)) {
    const hit = rule.forbidden.find((f) => matches(input, f));
    if (hit) out.push(`bundles ${input} (${hit})`);
  }
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports ?? []) {
      if (!imp.external) continue;
      const hit = rule.forbidden.find((f) => matches(imp.path, f));
      if (hit) out.push(`loads '${imp.path}' at run time (${hit})`);
    }
  }
  for (const required of rule.required ?? []) {
    if (!Object.keys(metafile.inputs).some((input) => matches(input, required)))
      out.push(`does not bundle ${required}, which it loads at run time`);
  }
  return [...new Set(out)];
}

/** Checks every bundle in RULES against its metafile in `dist`; returns the report lines and whether it passed. */
export function checkBuilt(dist) {
  const lines = [];
  let ok = true;
  for (const [bundle, rule] of Object.entries(RULES)) {
    const meta = join(dist, 'meta', `${bundle.replace(/\//g, '_')}.json`);
    if (!existsSync(meta)) {
      lines.push(`${bundle}: no metafile at ${meta}; run npm run build first`);
      ok = false;
      continue;
    }
    const found = violations(JSON.parse(readFileSync(meta, 'utf8')), rule);
    if (found.length === 0) lines.push(`${bundle}: ok`);
    else {
      ok = false;
      for (const v of found.slice(0, 20)) lines.push(`${bundle}: ${v}`);
      if (found.length > 20) lines.push(`${bundle}: ... and ${found.length - 20} more`);
    }
  }
  return { ok, lines };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const dist = process.argv[2] ?? join(root, 'dist');
  const { ok: rulesOk, lines } = checkBuilt(dist);
  // What a metafile cannot show: a bundled module that throws on load (an ESM-only dependency in the CJS bundle
  // once made the CLI crash before parsing its arguments).
  let ok = rulesOk;
  try {
    execFileSync(process.execPath, [join(dist, 'cli/lipschitz-lens.js'), '--version'], {
      stdio: 'pipe',
      timeout: 60_000,
    });
    lines.push('cli/lipschitz-lens.js: starts');
  } catch (e) {
    ok = false;
    lines.push(
      `cli/lipschitz-lens.js: does not start: ${String(e.stderr ?? e.message)
        .split('\n')
        .slice(0, 5)
        .join(' ')}`,
    );
  }
  for (const l of lines) console.log(l);
  if (!ok) {
    console.error('check-bundles: the dependency rule is broken (see ARCHITECTURE.md)');
    process.exit(1);
  }
}
