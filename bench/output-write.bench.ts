/**
 * What writing reports whole costs, and how fast a bad --out fails. Run: `npx tsx bench/output-write.bench.ts
 * [--runs N]`. Prints the median time of: an in-place writeFileSync and writeFileAtomic (temporary file, fsync,
 * rename, folder fsync) for a report-sized JSON (5 KB) and page (230 KB); and the spawned CLI's
 * `audit <model> --out /dev/full/x` from start to exit (the goal: under 1 s, before any worker starts),
 * beside `--version` (the CLI's own start-up, the floor).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../core/src/files/atomic-write';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, runs = RUNS): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const dir = mkdtempSync(join(tmpdir(), 'll-bench-write-'));
try {
  for (const [label, bytes] of [
    ['report JSON, 5 KB', 5_000],
    ['report page, 230 KB', 230_000],
  ] as const) {
    const data = 'x'.repeat(bytes);
    const target = join(dir, 'report');
    const inPlace = time(() => writeFileSync(target, data));
    const atomic = time(() => writeFileAtomic(target, data));
    console.log(
      `${label.padEnd(20)} in place ${inPlace.toFixed(2)} ms   writeFileAtomic ${atomic.toFixed(2)} ms`,
    );
  }

  const main = join(__dirname, '..', 'core', 'src', 'cli', 'main.ts');
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const model = join(__dirname, '..', 'core', 'test', 'probes', 'fixtures', 'models.ts');
  const cli =
    (...args: string[]): (() => void) =>
    () => {
      spawnSync(process.execPath, ['--import', tsx, main, ...args], { cwd: dir });
    };
  const cliRuns = Math.min(RUNS, 5);
  cli('--version')(); // tsx's transform cache, warm for both figures
  const floor = time(cli('--version'), cliRuns);
  const badOut = time(cli('audit', model, '--export', 'nanModel', '--out', '/dev/full/x'), cliRuns);
  console.log(`CLI --version (start-up)                 ${floor.toFixed(0)} ms`);
  console.log(`CLI audit --out /dev/full/x to exit 2    ${badOut.toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
