/**
 * The static bounds' background checkpoint read (issue 11, item 1): for checkpoints of growing size, the time
 * from lookup to norms, the longest the event loop was held meanwhile (a hover waits at most that long), and the
 * process's resident-size growth. Also how fast a refused path (a FIFO, /dev/zero) settles.
 * Run: npx tsx bench/checkpoint-read.bench.ts [largest dense side, default 2048]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CheckpointCache } from '../core/src/bounds';
import { randomValues, writeCheckpoint } from '../core/test/bounds/checkpoint-fixture';

async function measure(cache: CheckpointCache, path: string): Promise<string> {
  const rss = process.memoryUsage().rss;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const t0 = performance.now();
  cache.lookup(path);
  const found = await cache.load(path);
  const ms = performance.now() - t0;
  delay.disable();
  const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
  const state = found.state === 'failed' ? `failed (${found.reason})` : found.state;
  return `${ms.toFixed(0)} ms, loop held at most ${(delay.max / 1e6).toFixed(0)} ms, rss +${grown.toFixed(0)} MB: ${state}`;
}

async function main(): Promise<void> {
  const largest = Number(process.argv[2] ?? 2048);
  const dir = mkdtempSync(join(tmpdir(), 'll-bench-ckpt-'));
  try {
    const cache = new CheckpointCache({ roots: [dir] });
    for (let side = 256; side <= largest; side *= 2) {
      // Two square dense kernels and a 3x3 conv with `side / 8` channels each way.
      const c = Math.max(1, side / 8);
      const path = writeCheckpoint(join(dir, `n${side}`), [
        { name: 'dense_Dense1/kernel', shape: [side, side], values: randomValues(side * side, 1) },
        { name: 'dense_Dense2/kernel', shape: [side, side], values: randomValues(side * side, 2) },
        { name: 'conv2d_Conv2D1/kernel', shape: [3, 3, c, c], values: randomValues(9 * c * c, 3) },
      ]);
      const mb = ((2 * side * side + 9 * c * c) * 4) / 2 ** 20;
      console.log(
        `dense ${side}x${side} x2 + conv 3x3x${c}x${c} (${mb.toFixed(1)} MB): ${await measure(cache, path)}`,
      );
    }
    const fifo = join(dir, 'fifo.json');
    try {
      execFileSync('mkfifo', [fifo]);
      console.log(`FIFO: ${await measure(cache, fifo)}`);
    } catch {
      console.log('FIFO: skipped (mkfifo not available)');
    }
    console.log(`/dev/zero: ${await measure(new CheckpointCache({ roots: null }), '/dev/zero')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
