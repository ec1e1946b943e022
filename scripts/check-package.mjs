// The library as a user installs it (issue 13, item 4): pack core/ into a tarball (as the .vsix carries it), install it with plain
// @tensorflow/tfjs into a fresh project outside the checkout, then run scripts/package-check/: a CommonJS script
// that builds, trains, saves and reloads a flow, and an ESM TypeScript file type-checked against the package's
// declarations and run. Run after `npm run build` (the CLI build also builds core/dist): `npm run check:package`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packLibrary } from './pack-library.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });
const version = (name) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

const work = mkdtempSync(join(tmpdir(), 'lens-package-check-'));
try {
  const tarball = packLibrary(join(work, 'pack'));
  console.log(`packed ${tarball}`);
  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'lens-consumer', private: true }, null, 2),
  );
  // The versions this checkout tests with, from the npm cache the clean install filled where possible.
  run(
    npm,
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      tarball,
      `@tensorflow/tfjs@${version('@tensorflow/tfjs')}`,
      `typescript@${version('typescript')}`,
      `@types/node@${version('@types/node')}`,
    ],
    project,
  );
  for (const f of ['consumer.cjs', 'consumer.mts'])
    copyFileSync(join(root, 'scripts/package-check', f), join(project, f));
  run(process.execPath, ['consumer.cjs'], project);
  const tsc = join(project, 'node_modules/typescript/bin/tsc');
  run(
    process.execPath,
    // skipLibCheck: tfjs 4.22's own declarations fail strict checks (an undeclared Long, PyJsonValue index types).
    [
      tsc,
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--outDir',
      'out',
      'consumer.mts',
    ],
    project,
  );
  run(process.execPath, ['out/consumer.mjs'], project);
  console.log('package check passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}
