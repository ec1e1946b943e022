/**
 * The training monitor's overhead on the bundled flows. Run: `npx tsx bench/monitor.bench.ts [--backend cpu|wasm]
 * [--steps N] [--rounds R]`. Per flow of the reproduction (the toy data, batch 256, Adam 1e-3): wall time of N
 * training steps without the monitor and with it at its default cadence (an overhead budget of 5%), alternated over
 * R rounds; prints the medians, the overhead as (with - without) / with, and the monitor's own accounting (time in
 * its measurements over the whole wall time, from the run file's end line). The machine is shared: repeat.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../core/src/backend/select-backend';
import { parseRunFile } from '../core/src/monitor/run-file';
import { TrainingMonitor } from '../core/src/monitor/training-monitor';
import { REPRODUCED_FLOWS } from '../core/src/reproduce/flows';
import { toyData } from '../core/src/reproduce/toy-data';
import { trainFlow } from '../core/src/reproduce/train';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const choice = await selectBackend({ prefer: arg('backend', 'wasm') as 'cpu' | 'wasm' });
  const steps = Number(arg('steps', '300'));
  const rounds = Number(arg('rounds', '3'));
  const dir = mkdtempSync(join(tmpdir(), 'll-monitor-bench-'));
  const data = toyData(2048, 1);
  console.log(`backend ${choice.kind}; ${steps} steps, batch 256, ${rounds} rounds; default cadence`);
  console.log('flow               without (s)  with (s)  overhead  monitor share  measurements');
  try {
    for (const spec of REPRODUCED_FLOWS) {
      const without: number[] = [];
      const withMonitor: number[] = [];
      const shares: number[] = [];
      const measurements: number[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const monitored of [false, true]) {
          const flow = spec.build(1 + r);
          let monitor: TrainingMonitor | undefined;
          const t0 = performance.now();
          trainFlow(flow, data, {
            steps,
            batch: 256,
            learningRate: 1e-3,
            seed: 1 + r,
            ...(monitored
              ? {
                  onStep: (step: number, loss: number) => {
                    monitor ??= new TrainingMonitor(flow, { data, dir, name: spec.id });
                    monitor.step(step, loss);
                  },
                }
              : {}),
          });
          const end = monitor?.end();
          const seconds = (performance.now() - t0) / 1000;
          if (monitored) {
            withMonitor.push(seconds);
            shares.push(end!.overhead);
            measurements.push(parseRunFile(readFileSync(monitor!.file, 'utf8')).measurements.length);
          } else without.push(seconds);
          for (const b of flow.blocks) for (const w of b.weights) w.dispose();
        }
      }
      const a = median(without);
      const b = median(withMonitor);
      console.log(
        `${spec.id.padEnd(18)} ${a.toFixed(2).padStart(11)}  ${b.toFixed(2).padStart(8)}  ${((100 * (b - a)) / b).toFixed(1).padStart(7)}%  ${(100 * median(shares)).toFixed(1).padStart(12)}%  ${median(measurements).toString().padStart(12)}`,
      );
    }
  } finally {
    data.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
