// Runs the end-to-end tests (`npm run test:e2e [-- <filter>]`): installs code-server, Node 24, Chromium and
// Neovim into a cache outside the repository (reused when present), builds and packages the extension once,
// then runs e2e/*.e2e.ts with Node's test runner through tsx. `--prepare-only` does the first steps and prints
// what they produced as JSON, so one test file can also be run on its own. `--update-screenshots` copies the
// README's pictures the run took (test-output/e2e/readme-<name>.png) to e2e/screenshots/<name>.png when it passed.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test-output', 'e2e');
const args = process.argv.slice(2);
const prepareOnly = args.includes('--prepare-only');
const updateScreenshots = args.includes('--update-screenshots');
const filter = args.filter((a) => !a.startsWith('--'));
const MINUTE = 60_000;

// With --prepare-only, stdout carries the JSON answer: progress goes to stderr.
const say = (m) => process.stderr.write(`[e2e] ${m}\n`);

/** Runs a step with a deadline; its output goes to stderr (stdout is captured when `capture`). */
function step(name, cmd, cmdArgs, timeoutMs, capture = false) {
  const t0 = Date.now();
  say(`${name}...`);
  const r = spawnSync(cmd, cmdArgs, {
    cwd: root,
    stdio: ['ignore', capture ? 'pipe' : process.stderr, process.stderr],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.error || r.status !== 0) {
    say(`${name} failed after ${secs} s: ${r.error?.message ?? `exit ${r.status}`}`);
    process.exit(1);
  }
  say(`${name}: ${secs} s`);
  return r.stdout ?? '';
}

function newestVsix(since) {
  const found = [];
  for (const dir of [root, join(root, 'dist'), out]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.vsix')) continue;
      const path = join(dir, name);
      const mtime = statSync(path).mtimeMs;
      if (mtime >= since) found.push({ path, mtime });
    }
  }
  found.sort((a, b) => b.mtime - a.mtime);
  return found[0]?.path;
}

function prepare() {
  mkdirSync(out, { recursive: true });
  const installed = step(
    'install code-server, Node 24, chromium, neovim',
    'bash',
    [join(root, 'scripts/e2e/install-code-server.sh')],
    30 * MINUTE,
    true,
  );
  const tools = JSON.parse(installed.trim().split('\n').at(-1));
  step('build', 'npm', ['run', 'build'], 5 * MINUTE);
  const since = Date.now() - 1000;
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
  if (scripts.package) {
    step('package', 'npm', ['run', 'package'], 5 * MINUTE);
  } else {
    // The project's packaging script has not landed: package the same way it is meant to (vsce 3.9, everything
    // bundled) so the editor test still installs a real .vsix.
    say('no "package" script in package.json: running vsce directly');
    step(
      'package (vsce)',
      'npx',
      ['vsce', 'package', '--no-dependencies', '-o', join(out, 'lipschitz-lens.vsix')],
      5 * MINUTE,
    );
  }
  const vsix = newestVsix(since);
  if (!vsix) {
    say('packaging produced no .vsix');
    process.exit(1);
  }
  return { ...tools, vsix };
}

const prepared = prepare();
if (prepareOnly) {
  process.stdout.write(`${JSON.stringify(prepared)}\n`);
  process.exit(0);
}

const files = readdirSync(join(root, 'e2e'))
  .filter((f) => f.endsWith('.e2e.ts') && (filter.length === 0 || filter.some((s) => f.includes(s))))
  .sort()
  .map((f) => join('e2e', f));
if (files.length === 0) {
  say('no e2e file matched');
  process.exit(1);
}
const env = { ...process.env, LIPSCHITZ_LENS_E2E: JSON.stringify(prepared) };
// Neovim first: it needs no browser and fails fast when the server is broken.
files.sort((a, b) => Number(b.includes('neovim')) - Number(a.includes('neovim')));
const t0 = Date.now();
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${10 * MINUTE}`, ...files],
  { cwd: root, env, stdio: 'inherit', detached: true },
);
// The whole run is bounded too: a hang anywhere ends in a failure, not a stuck CI job.
const guard = setTimeout(() => {
  say('e2e tests exceeded 20 minutes: killing them');
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}, 20 * MINUTE);
/** The README's pictures this run took, copied over the committed ones. */
function copyScreenshots() {
  for (const name of readdirSync(out)) {
    const m = /^readme-(.+\.png)$/.exec(name);
    // Only this run's: a picture left by an earlier run may show what this one no longer does.
    if (!m || statSync(join(out, name)).mtimeMs < t0) continue;
    copyFileSync(join(out, name), join(root, 'e2e', 'screenshots', m[1]));
    say(`e2e/screenshots/${m[1]} updated`);
  }
}

child.on('exit', (code, signal) => {
  clearTimeout(guard);
  say(`tests: ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots and logs in ${out}`);
  if (updateScreenshots) {
    if (code === 0) copyScreenshots();
    else say('the run failed: e2e/screenshots/ left as it was');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
