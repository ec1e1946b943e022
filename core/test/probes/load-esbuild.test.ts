import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadEsbuild } from '../../src/probes/load-model';

describe('loadEsbuild', () => {
  it('transpiles a TS model module with esbuild-wasm, what the packaged worker ships', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-esbuild-'));
    const file = join(dir, 'model.ts');
    writeFileSync(
      file,
      "import * as tf from '@tensorflow/tfjs';\nexport const width: number = 4;\nexport const t = tf;\n",
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package the build copies
    const esbuild = loadEsbuild(dir, [() => require('esbuild-wasm')]);
    const out = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      packages: 'external',
    });
    const code = out.outputFiles[0]!.text;
    assert.match(code, /require\("@tensorflow\/tfjs"\)/);
    assert.doesNotMatch(code, /: number/);
  });

  it('says clearly when no esbuild can be found', () => {
    assert.throws(
      () =>
        loadEsbuild('/', [
          () => {
            throw new Error("Cannot find module 'esbuild'");
          },
        ]),
      /esbuild is needed to load TS\/JS modules and was not found \(Cannot find module 'esbuild'\)/,
    );
  });
});
