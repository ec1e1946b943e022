import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ModuleResolution } from '../../src/extract/module-resolution';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'lens-resolve-')));
after(() => rmSync(base, { recursive: true, force: true }));

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A package as npm installs it: a package.json naming its declarations. */
function install(project: string, name = 'lipschitz-lens'): void {
  const dir = join(project, 'node_modules', name);
  write(join(dir, 'package.json'), JSON.stringify({ name, main: 'dist/index.js', types: 'dist/index.d.ts' }));
  write(join(dir, 'dist', 'index.d.ts'), 'export declare function spectralNorm(): unknown;\n');
  write(join(dir, 'dist', 'index.js'), 'exports.spectralNorm = () => undefined;\n');
}

function project(name: string): { dir: string; model: string } {
  const dir = join(base, name);
  write(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return { dir, model: write(join(dir, 'src', 'model.ts'), 'export {};\n') };
}

describe('ModuleResolution', () => {
  it('finds a package installed in node_modules, and not one that is missing', () => {
    const p = project('installed');
    install(p.dir);
    const r = new ModuleResolution(() => [p.dir]);
    assert.equal(r.resolves(p.model, 'lipschitz-lens'), true);
    assert.equal(r.resolves(p.model, 'not-installed-anywhere'), false);
  });

  it('follows the tsconfig: paths, and moduleResolution bundler with an exports-only package', () => {
    const p = project('paths');
    const target = write(join(base, 'paths-lib', 'index.ts'), 'export const x = 1;\n');
    write(
      join(p.dir, 'tsconfig.json'),
      // A comment and a trailing comma, as tsconfig files have them.
      `{ // mapped\n "compilerOptions": { "paths": { "lipschitz-lens": ["${target}"] }, } }`,
    );
    assert.equal(new ModuleResolution(() => [p.dir]).resolves(p.model, 'lipschitz-lens'), true);

    const b = project('bundler');
    const dir = join(b.dir, 'node_modules', 'lipschitz-lens');
    write(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'lipschitz-lens',
        exports: { '.': { types: './t/i.d.ts', default: './i.js' } },
      }),
    );
    write(join(dir, 't', 'i.d.ts'), 'export {};\n');
    write(
      join(b.dir, 'tsconfig.json'),
      '{ "compilerOptions": { "module": "preserve", "moduleResolution": "bundler" } }',
    );
    assert.equal(new ModuleResolution(() => [b.dir]).resolves(b.model, 'lipschitz-lens'), true);
    // Under node10 resolution the same package has no `types`/`main` to find: it does not resolve.
    write(join(b.dir, 'tsconfig.json'), '{ "compilerOptions": { "moduleResolution": "node10" } }');
    assert.equal(new ModuleResolution(() => [b.dir]).resolves(b.model, 'lipschitz-lens'), false);
  });

  it('reads no file outside the roots: a package whose package.json lies outside is not found', () => {
    const outer = join(base, 'outer');
    install(outer);
    const inner = project(join('outer', 'packages', 'inner'));
    // Reading anywhere (a trusted caller passing null), the hoisted package is found.
    assert.equal(new ModuleResolution(() => null).resolves(inner.model, 'lipschitz-lens'), true);
    // Confined to the inner folder, its package.json is not read, so its `types` are not found.
    assert.equal(new ModuleResolution(() => [inner.dir]).resolves(inner.model, 'lipschitz-lens'), false);
  });

  it("with no roots, reads inside the file's own project", () => {
    const p = project('loose');
    install(p.dir);
    assert.equal(new ModuleResolution(() => []).resolves(p.model, 'lipschitz-lens'), true);
  });

  it('reuses an answer for two seconds, then looks again (a package installed meanwhile shows up)', () => {
    const p = project('later');
    let now = 1000;
    const r = new ModuleResolution(
      () => [p.dir],
      () => now,
    );
    assert.equal(r.resolves(p.model, 'lipschitz-lens'), false);
    install(p.dir);
    now += 1999;
    assert.equal(r.resolves(p.model, 'lipschitz-lens'), false);
    now += 1;
    assert.equal(r.resolves(p.model, 'lipschitz-lens'), true);
  });

  it('treats a malformed tsconfig as not resolving rather than throwing', () => {
    const p = project('broken');
    install(p.dir);
    write(join(p.dir, 'tsconfig.json'), '{ "compilerOptions": ');
    assert.equal(new ModuleResolution(() => [p.dir]).resolves(p.model, 'lipschitz-lens'), false);
  });
});
