// The library's package (core/ as `lipschitz-lens`), packed as a user installs it: declarations emitted, then
// `npm pack`. `node scripts/pack-library.mjs` writes it to dist/library/, which the .vsix carries for "Add
// lipschitz-lens to this project"; scripts/check-package.mjs packs it the same way. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Packs the library into `dest` (emptied first: one tarball per build) and returns the tarball's path. */
export function packLibrary(dest) {
  if (!existsSync(join(root, 'core/dist/index.js')))
    throw new Error('core/dist/index.js is missing; run `npm run build` first');
  // The declarations are not part of the bundle build.
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'core/tsconfig.build.json'],
    { cwd: root, stdio: 'inherit' },
  );
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const out = execFileSync(npm, ['pack', '--silent', '--pack-destination', dest], {
    cwd: join(root, 'core'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return join(dest, out.toString().trim().split('\n').pop());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(`packed ${packLibrary(join(root, 'dist/library'))}`);
  } catch (e) {
    console.error(`pack-library: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
