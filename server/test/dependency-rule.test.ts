/**
 * The dependency rule is enforced, not only stated: the lint configuration rejects `vscode` and the LSP libraries
 * in core/ and tfjs in the server, the client and the core modules the server loads; scripts/check-bundles.mjs
 * rejects bundles that hold or load them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { ESLint } from 'eslint';

const root = join(__dirname, '..', '..');

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports?: { path: string; external?: boolean }[] }>;
}
interface BundleRule {
  forbidden: string[];
  required?: string[];
}
interface CheckBundles {
  RULES: Record<string, BundleRule>;
  violations(metafile: Metafile, rule: BundleRule): string[];
}
/** The checker is an .mjs script (CI runs it on dist/): loaded as ESM, typed here. */
const checker = (): Promise<CheckBundles> =>
  import(pathToFileURL(join(root, 'scripts/check-bundles.mjs')).href) as Promise<CheckBundles>;

const RESTRICTED = new Set([
  'no-restricted-imports',
  '@typescript-eslint/no-restricted-imports',
  'no-restricted-syntax',
]);

/** The restricted-import errors of `code` linted as if it were the file at `path` (nothing is written). */
async function restricted(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId && RESTRICTED.has(m.ruleId)).map((m) => m.message);
}

describe('dependency rule: the lint configuration', { timeout: 60_000 }, () => {
  const rejected: [string, string][] = [
    ['core/src/extract/fixture.ts', `import * as vscode from 'vscode';\nexport const v = vscode;\n`],
    ['core/src/layers/fixture.ts', `import 'vscode';\n`],
    [
      'core/src/protocol/fixture.ts',
      `import { Range } from 'vscode-languageserver';\nexport type R = Range;\n`,
    ],
    [
      'core/src/report/fixture.ts',
      `import { LanguageClient } from 'vscode-languageclient/node';\nexport { LanguageClient };\n`,
    ],
    ['server/src/fixture.ts', `import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n`],
    ['server/src/fixture.ts', `import * as vscode from 'vscode';\nexport const v = vscode;\n`],
    ['client/src/fixture.ts', `import '@tensorflow/tfjs-core';\n`],
    ['core/src/bounds/fixture.ts', `export { tensor } from '@tensorflow/tfjs';\n`],
    ['core/src/rules/fixture.ts', `export const load = () => import('@tensorflow/tfjs');\n`],
    ['core/src/probes/run-audit.ts', `import * as tf from '@tensorflow/tfjs-node';\nexport const t = tf;\n`],
  ];
  for (const [path, code] of rejected)
    it(`rejects in ${path}: ${code.split('\n')[0]}`, async () => {
      assert.ok((await restricted(path, code)).length > 0, 'no restricted-import error');
    });

  const allowed: [string, string][] = [
    ['client/src/fixture.ts', `import * as vscode from 'vscode';\nexport const v = vscode;\n`],
    [
      'server/src/fixture.ts',
      `import { createConnection } from 'vscode-languageserver/node';\nexport { createConnection };\n`,
    ],
    ['core/src/layers/fixture.ts', `import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n`],
    ['core/src/probes/worker.ts', `import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n`],
    // Type-only imports are erased: they load nothing.
    [
      'core/src/bounds/fixture.ts',
      `import type * as tf from '@tensorflow/tfjs';\nexport type T = tf.Tensor;\n`,
    ],
  ];
  for (const [path, code] of allowed)
    it(`allows in ${path}: ${code.split('\n')[0]}`, async () => {
      assert.deepEqual(await restricted(path, code), []);
    });
});

describe('dependency rule: the bundle check', { timeout: 120_000 }, () => {
  const clean: Metafile = {
    inputs: { 'server/src/main.ts': {}, 'node_modules/vscode-languageserver/lib/node/main.js': {} },
    outputs: { 'dist/server/server.js': { imports: [{ path: 'node:fs', external: true }] } },
  };

  it('passes a clean server bundle', async () => {
    const { RULES, violations } = await checker();
    assert.deepEqual(violations(clean, RULES['server/server.js']!), []);
  });

  it('fails a server bundle that holds tfjs code', async () => {
    const { RULES, violations } = await checker();
    const withTf = {
      ...clean,
      inputs: { ...clean.inputs, 'node_modules/@tensorflow/tfjs-core/dist/index.js': {} },
    };
    assert.match(violations(withTf, RULES['server/server.js']!).join('\n'), /tfjs-core/);
  });

  it('fails a server bundle that loads vscode or tfjs at run time', async () => {
    const { RULES, violations } = await checker();
    const external: Metafile = {
      ...clean,
      outputs: {
        'dist/server/server.js': {
          imports: [
            { path: 'vscode', external: true },
            { path: '@tensorflow/tfjs-node', external: true },
          ],
        },
      },
    };
    assert.equal(violations(external, RULES['server/server.js']!).length, 2);
  });

  it('fails a client bundle that holds tfjs, and allows it vscode', async () => {
    const { RULES, violations } = await checker();
    const client: Metafile = {
      inputs: { 'client/src/extension.ts': {}, 'node_modules/@tensorflow/tfjs/dist/index.js': {} },
      outputs: { 'dist/client/extension.js': { imports: [{ path: 'vscode', external: true }] } },
    };
    assert.deepEqual(violations(client, RULES['client/extension.js']!), [
      'bundles node_modules/@tensorflow/tfjs/dist/index.js (@tensorflow/)',
    ]);
  });

  it('the server and client as they are now bundle neither', async () => {
    const { RULES, violations } = await checker();
    const bundle = async (entry: string, external: string[]): Promise<Metafile> => {
      const r = await esbuild.build({
        entryPoints: [join(root, entry)],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        write: false,
        metafile: true,
        outfile: join(root, 'dist/check.js'),
        // As scripts/build.mjs: optional native backends stay external (and would be caught as run-time loads).
        external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'tsx', ...external],
        mainFields: ['module', 'main'],
        logLevel: 'silent',
      });
      return r.metafile;
    };
    assert.deepEqual(violations(await bundle('server/src/main.ts', []), RULES['server/server.js']!), []);
    assert.deepEqual(
      violations(await bundle('client/src/extension.ts', ['vscode']), RULES['client/extension.js']!),
      [],
    );
    // The probe worker carries the wasm backend: the .vsix has no node_modules to load it from (issue 12, item 7).
    assert.deepEqual(
      violations(await bundle('core/src/probes/worker.ts', []), RULES['server/probe-worker.js']!),
      [],
    );
  });

  it('fails a worker bundle without the wasm backend it loads at run time', async () => {
    const { RULES, violations } = await checker();
    const worker: Metafile = {
      inputs: { 'core/src/probes/worker.ts': {}, 'node_modules/@tensorflow/tfjs-core/dist/index.js': {} },
      outputs: { 'dist/server/probe-worker.js': { imports: [] } },
    };
    assert.deepEqual(violations(worker, RULES['server/probe-worker.js']!), [
      'does not bundle @tensorflow/tfjs-backend-wasm, which it loads at run time',
    ]);
  });
});
