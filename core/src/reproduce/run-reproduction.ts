/**
 * Behrmann et al. (2021), Fig. 1, reproduced with this library's blocks: train each flow of REPRODUCED_FLOWS by
 * maximum likelihood on the toy data, then audit it with the probes a user gets (reconstruction in and out of
 * distribution, inverse Lipschitz at the data, memory-saving gradients) and collect one comparison.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Flow } from '../layers';
import { parseRunFile } from '../monitor/run-file';
import { inverseOffData } from '../monitor/summary';
import { TrainingMonitor } from '../monitor/training-monitor';
import { toProbeTarget } from '../probes/adapt';
import type { ProbeId, ProbeSettings } from '../probes/probe';
import { runProbes } from '../probes/run-probes';
import {
  type Comparison,
  type ComparedFlow,
  COMPARISON_VERSION,
  type MonitoredTraining,
} from '../report/comparison';
import { deriveFindings } from '../report/findings';
import { REGULARIZED_FLOW, REPRODUCED_FLOWS, type ReproducedFlow } from './flows';
import { TOY_DESCRIPTION, TOY_DIM, toyData } from './toy-data';
import { nllPerDim, trainFlow } from './train';

export interface ReproduceOptions {
  seed: number;
  /** Adam steps per flow. */
  steps: number;
  batch: number;
  learningRate: number;
  trainPoints: number;
  testPoints: number;
  /** Held-out points the probes run on. */
  probePoints: number;
  /** Input scales of the reconstruction sweep, in multiples of the data. */
  scales: number[];
  /** Also train the affine-exp flow with the bi-Lipschitz regulariser. */
  regularizer: boolean;
  /** Weight of the regulariser in the loss. */
  regularizerWeight: number;
  /** Probe settings besides the scales (tests shorten the probes). */
  probeSettings?: Partial<ProbeSettings>;
  /**
   * Where the training monitor writes each flow's run file (paths in the comparison are relative to `outDir`);
   * absent: training is not monitored.
   */
  runs?: { dir: string; outDir: string };
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export const REPRODUCE_DEFAULTS: ReproduceOptions = {
  seed: 1,
  steps: 600,
  batch: 256,
  learningRate: 1e-3,
  trainPoints: 4096,
  testPoints: 1024,
  probePoints: 32,
  scales: [1, 2, 4, 8, 16, 32, 64, 128],
  regularizer: false,
  regularizerWeight: 1,
};

const PROBES: readonly ProbeId[] = ['reconstruction', 'inverse-lipschitz', 'memory-backprop'];

export async function reproduce(o: ReproduceOptions): Promise<Comparison> {
  const started = Date.now();
  const flows = o.regularizer ? [...REPRODUCED_FLOWS, REGULARIZED_FLOW] : [...REPRODUCED_FLOWS];
  const train = toyData(o.trainPoints, o.seed);
  const test = toyData(o.testPoints, o.seed + 1);
  const probeData = test.slice([0, 0], [Math.min(o.probePoints, o.testPoints), TOY_DIM]);
  const compared: ComparedFlow[] = [];
  try {
    for (const [i, spec] of flows.entries()) {
      if (o.signal?.aborted === true) break;
      compared.push(await one(spec, i, flows.length, train, test, probeData, o));
    }
  } finally {
    tf.dispose([train, test, probeData]);
  }
  return {
    version: COMPARISON_VERSION,
    kind: 'comparison',
    tool: 'lipschitz-lens',
    title: 'Exploding inverses, reproduced (Behrmann et al. 2021, Fig. 1)',
    createdAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    data: { description: TOY_DESCRIPTION, dim: TOY_DIM, train: o.trainPoints, test: o.testPoints },
    settings: {
      seed: o.seed,
      steps: o.steps,
      batch: o.batch,
      learningRate: o.learningRate,
      backend: tf.getBackend(),
      probePoints: Math.min(o.probePoints, o.testPoints),
      scales: o.scales,
    },
    flows: compared,
  };
}

async function one(
  spec: ReproducedFlow,
  index: number,
  count: number,
  train: tf.Tensor2D,
  test: tf.Tensor2D,
  probeData: tf.Tensor2D,
  o: ReproduceOptions,
): Promise<ComparedFlow> {
  const say = (what: string): void => o.onProgress?.(`flow ${index + 1} of ${count}, ${spec.id}: ${what}`);
  const flow = spec.build(o.seed);
  const t0 = Date.now();
  let losses: Array<[number, number]> = [];
  let stopped: string | undefined;
  let monitor: TrainingMonitor | undefined;
  const runs = o.runs;
  const every = Math.max(1, Math.floor(o.steps / 20));
  say('training');
  try {
    losses = trainFlow(flow, train, {
      steps: o.steps,
      batch: o.batch,
      learningRate: o.learningRate,
      seed: o.seed,
      ...(spec.regularized === true ? { regularizerWeight: o.regularizerWeight } : {}),
      every,
      // Made after the first step, so ActNorm has initialised from the first batch; on the held-out probe points.
      ...(runs === undefined
        ? {}
        : {
            onStep: (step: number, loss: number) => {
              monitor ??= new TrainingMonitor(flow, {
                data: probeData,
                name: spec.id,
                dir: runs.dir,
                everySteps: every,
                seed: o.seed,
                inputShape: [TOY_DIM],
              });
              monitor.step(step, loss);
            },
          }),
      onLoss: (step, loss) => say(`step ${step + 1} of ${o.steps}, loss ${loss.toFixed(3)}`),
      shouldStop: () => o.signal?.aborted === true,
    });
    const last = losses[losses.length - 1];
    if (last !== undefined && !Number.isFinite(last[1]))
      stopped = `the loss became ${last[1]} at step ${last[0] + 1}`;
  } catch (e) {
    stopped = `training failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  const monitored =
    monitor === undefined || runs === undefined
      ? undefined
      : monitoredTraining(monitor, stopped, runs.outDir);
  const seconds = (Date.now() - t0) / 1000;
  const testNll = tf.tidy(() => nllPerDim(flow, test).dataSync()[0]!);
  say('auditing');
  const probes = await runProbes(toProbeTarget(tf, flow, spec.id, [TOY_DIM]), probeData, {
    tf,
    probes: PROBES,
    seed: o.seed,
    deadline: Date.now() + 600_000,
    settings: { scales: o.scales, ...o.probeSettings },
    ...(o.signal === undefined ? {} : { signal: o.signal }),
  });
  dispose(flow);
  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    training: {
      steps: losses.length === 0 ? 0 : losses[losses.length - 1]![0] + 1,
      seconds,
      losses: losses.map(([s, l]) => [s, Number.isFinite(l) ? l : null]),
      ...(stopped === undefined ? {} : { stopped }),
      ...(monitored === undefined ? {} : { monitor: monitored }),
    },
    testNll: Number.isFinite(testNll) ? testNll : null,
    probes,
    findings: deriveFindings(probes, {}, 'invertible'),
  };
}

/** Ends the monitor's run and reads back what the comparison shows of it. */
function monitoredTraining(
  monitor: TrainingMonitor,
  stopped: string | undefined,
  outDir: string,
): MonitoredTraining {
  const end = monitor.end(stopped === undefined ? 'finished' : 'failed');
  const run = parseRunFile(readFileSync(monitor.file, 'utf8'));
  const largest = (values: Array<number | null | undefined>): number | null =>
    values.some((v) => v === null)
      ? null
      : Math.max(...values.filter((v): v is number => typeof v === 'number'));
  return {
    runFile: relative(outDir, monitor.file),
    steps: run.measurements.map((m) => m.step),
    inverseLowerBound: run.measurements.map((m) =>
      largest(m.blocks.filter((b) => b.inverse).map((b) => b.inverse!.value)),
    ),
    inverseOffData: run.measurements.map((m) =>
      largest(m.blocks.filter((b) => b.inverse).map((b) => inverseOffData(b))),
    ),
    offDataScales: run.header.settings.inverseScales.filter((s) => s !== 1),
    reconstruction: run.measurements.map((m) => largest(m.reconstruction.map((r) => r.max))),
    overhead: end?.overhead ?? 0,
  };
}

/** Frees the flow's weights: Layer.dispose() refuses layers run through call() rather than apply(). */
function dispose(flow: Flow): void {
  for (const block of flow.blocks) for (const w of block.weights) w.dispose();
}
