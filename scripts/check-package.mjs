// The library as a user installs it (issue 13, item 4): pack core/ into a tarball, install it with plain
// @tensorflow/tfjs into a fresh project outside the checkout, then run scripts/package-check/: a CommonJS script
// that builds, trains, saves and reloads a flow, and an ESM TypeScript file type-checked against the package's
// declarations and run. Run after `npm run build` (the CLI build also builds core/dist): `npm run check:package`.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Output is shown as it comes; `capture` returns it instead (for npm pack's file name).
const run = (cmd, args, cwd, capture = false) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] })?.toString() ??
  '';
const version = (name) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

if (!existsSync(join(root, 'core/dist/index.js'))) {
  console.error('check-package: core/dist/index.js is missing; run `npm run build` first');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'lens-package-check-'));
try {
  // The declarations are not part of the bundle build.
  run(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'core/tsconfig.build.json'],
    root,
  );
  const tarball = run(npm, ['pack', '--silent', '--pack-destination', work], join(root, 'core'), true)
    .trim()
    .split('\n')
    .pop();
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
      join(work, tarball),
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
