import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bundledTarball, installCommand, packageManagerOf, projectFolder } from '../src/library-install';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'lens-install-')));
after(() => rmSync(base, { recursive: true, force: true }));

function write(path: string, text = ''): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe('adding the library to a project', () => {
  it('installs into the nearest package.json folder, never above the workspace folder', () => {
    const ws = join(base, 'ws');
    write(join(base, 'package.json'), '{}');
    write(join(ws, 'package.json'), '{}');
    const pkg = join(ws, 'packages', 'flows');
    write(join(pkg, 'package.json'), '{}');
    const model = write(join(pkg, 'src', 'deep', 'model.ts'));
    assert.equal(projectFolder(model, ws), pkg);
    const loose = write(join(ws, 'scripts', 'x.ts'));
    assert.equal(projectFolder(loose, ws), ws);
    // A folder with no package.json inside the workspace: the one above it is not the user's project.
    const bare = join(base, 'bare');
    const file = write(join(bare, 'src', 'm.ts'));
    assert.equal(projectFolder(file, bare), undefined);
  });

  it("uses the project's package manager: packageManager field, else the nearest lockfile, else npm", () => {
    const ws = join(base, 'managers');
    const pkg = join(ws, 'packages', 'a');
    write(join(pkg, 'package.json'), '{}');
    write(join(ws, 'package.json'), '{}');
    assert.equal(packageManagerOf(pkg, ws), 'npm');
    write(join(ws, 'pnpm-lock.yaml'));
    // A workspace's lockfile sits at its root, above the package.
    assert.equal(packageManagerOf(pkg, ws), 'pnpm');
    write(join(pkg, 'yarn.lock'));
    assert.equal(packageManagerOf(pkg, ws), 'yarn');
    write(join(pkg, 'package.json'), JSON.stringify({ packageManager: 'bun@1.1.0' }));
    assert.equal(packageManagerOf(pkg, ws), 'bun');
    write(join(pkg, 'package.json'), '{ not json');
    assert.equal(packageManagerOf(pkg, ws), 'yarn');
    // Lockfiles above the workspace folder are not this project's.
    const inner = join(base, 'outside', 'ws');
    write(join(base, 'outside', 'yarn.lock'));
    write(join(inner, 'package.json'), '{}');
    assert.equal(packageManagerOf(inner, inner), 'npm');
  });

  it('writes each manager its own command for a local tarball', () => {
    const t = './vendor/lipschitz-lens-0.1.0.tgz';
    assert.deepEqual(installCommand('npm', t), { command: 'npm', args: ['install', t] });
    assert.deepEqual(installCommand('pnpm', t), { command: 'pnpm', args: ['add', t] });
    assert.deepEqual(installCommand('yarn', t), {
      command: 'yarn',
      args: ['add', `lipschitz-lens@file:${t}`],
    });
    assert.deepEqual(installCommand('bun', t), { command: 'bun', args: ['add', t] });
  });

  it("finds the tarball in the extension's dist/library, or says there is none", () => {
    const ext = join(base, 'ext');
    assert.equal(bundledTarball(ext), undefined);
    write(join(ext, 'dist', 'library', 'README'));
    assert.equal(bundledTarball(ext), undefined);
    const tgz = write(join(ext, 'dist', 'library', 'lipschitz-lens-0.1.0.tgz'));
    assert.equal(bundledTarball(ext), tgz);
  });
});
