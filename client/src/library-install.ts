/**
 * How "Add lipschitz-lens to this project" installs the library: the package is not on a public registry, so the
 * extension carries its tarball (dist/library/, made by scripts/pack-library.mjs), copies it into the project's
 * vendor/ folder (package.json then names a file that is in the repository, not one inside the extension) and
 * installs it with the package manager the project already uses. No VS Code API here, so it is tested on its own.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isInside } from '../../core/src/bounds/checkpoint-access';
import { LIBRARY_PACKAGE } from '../../core/src/rules/source-text';

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** Where the tarball goes inside the project. */
export const VENDOR_DIR = 'vendor';

/** Lockfiles, most specific first: a project with two (a migration half done) goes by the first found here. */
const LOCKFILES: readonly [string, PackageManager][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

/** The folders from `dir` up to `stopAt` (inclusive; the filesystem root when `stopAt` is not above `dir`). */
function upFrom(dir: string, stopAt: string | undefined): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    out.push(d);
    if (d === stopAt || dirname(d) === d) return out;
    if (stopAt !== undefined && !isInside(d, stopAt)) return out;
  }
}

/** The project a file belongs to: the nearest folder above it with a package.json, not above `stopAt`. */
export function projectFolder(file: string, stopAt?: string): string | undefined {
  return upFrom(dirname(file), stopAt).find((d) => existsSync(join(d, 'package.json')));
}

function declaredManager(packageJson: string): PackageManager | undefined {
  try {
    const field: unknown = (JSON.parse(readFileSync(packageJson, 'utf8')) as Record<string, unknown>)[
      'packageManager'
    ];
    const name = typeof field === 'string' ? field.split('@')[0] : undefined;
    return name === 'npm' || name === 'pnpm' || name === 'yarn' || name === 'bun' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The project's package manager: package.json's `packageManager` field (Corepack's), else the lockfile nearest
 * the project (a workspace's lockfile sits at its root, above the package), else npm.
 */
export function packageManagerOf(project: string, stopAt?: string): PackageManager {
  for (const dir of upFrom(project, stopAt)) {
    const declared = existsSync(join(dir, 'package.json'))
      ? declaredManager(join(dir, 'package.json'))
      : undefined;
    if (declared) return declared;
    const lock = LOCKFILES.find(([file]) => existsSync(join(dir, file)));
    if (lock) return lock[1];
  }
  return 'npm';
}

/** The command line that adds the tarball at `tarball` (relative to the project, `./vendor/...`). */
export function installCommand(pm: PackageManager, tarball: string): { command: string; args: string[] } {
  switch (pm) {
    case 'npm':
      return { command: 'npm', args: ['install', tarball] };
    case 'pnpm':
      return { command: 'pnpm', args: ['add', tarball] };
    // Classic and Berry both take a `file:` spec for a tarball.
    case 'yarn':
      return { command: 'yarn', args: ['add', `${LIBRARY_PACKAGE}@file:${tarball}`] };
    case 'bun':
      return { command: 'bun', args: ['add', tarball] };
  }
}

/** The library tarball the extension carries (`lipschitz-lens-<version>.tgz`), or undefined if this build has none. */
export function bundledTarball(extensionRoot: string): string | undefined {
  const dir = join(extensionRoot, 'dist', 'library');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  // The build writes one (it empties the folder first).
  const own = names.find((n) => n.startsWith(`${LIBRARY_PACKAGE}-`) && n.endsWith('.tgz'));
  return own === undefined ? undefined : join(dir, own);
}
