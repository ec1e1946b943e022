/**
 * A training monitor: call `step()` after each optimizer step (or pass `monitor.callback()` to `fit()`), and at
 * the cadence it measures, on a probe batch drawn once, each block's forward and inverse Lipschitz lower bounds
 * (warm-started power steps), round trips, the model's reconstruction error at the data scale and beyond,
 * NaN/Inf outputs and, for memory-saving blocks, the rebuilt-gradient error. Each measurement is a line appended
 * to the run file (run-file.ts); the first crossing of a threshold is an alert line and a callback.
 */
import { mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { toProbeTarget } from '../probes/adapt';
import { DEFAULT_FD_STEP } from '../probes/jacobian';
import { Rng } from '../probes/rng';
import { blockMaps, emptyPasses, flatMaps, type ProbeBlock, type ProbeTarget } from '../probes/target';
import { LIMITS } from '../report/finding-codes';
import { inverseCrossing } from './summary';
import {
  nonFiniteRows,
  rebuiltGradientErrors,
  reconstructionByScale,
  roundTrip,
  WarmPower,
} from './block-probes';
import {
  type BlockMeasurement,
  finite,
  RUN_FILE_VERSION,
  type RunAlert,
  type RunBlock,
  type RunEnd,
  type RunError,
  type RunHeader,
  runLine,
  type RunMeasurement,
  type RunSettings,
  type ScaledEstimate,
} from './run-file';

export interface MonitorOptions {
  /** Data to draw the probe batch from: its first `points` rows, copied once at the start. */
  data: tf.Tensor;
  /** The model's name in the run file (default: the model's own name, else 'model'). */
  name?: string;
  /** One input point's shape, where the model does not say it. */
  inputShape?: number[];
  /** The run file; default a new file in `dir`. */
  file?: string;
  /** Folder for new run files (default .lipschitz-lens/runs under the working folder). */
  dir?: string;
  /** Measure every N steps... */
  everySteps?: number;
  /** ... or every N seconds of wall time; without either, adaptively within `overheadBudget`. */
  everySeconds?: number;
  /**
   * Default cadence: measure again once the training time since the last measurement is long enough for that
   * measurement's cost to be at most this share of the time (default 0.05).
   */
  overheadBudget?: number;
  /** Rows of the probe batch (default 8). */
  points?: number;
  /** Power steps per block and direction per measurement (default 2). */
  iterations?: number;
  /** Reconstruction sweep, multiples of the probe batch (default 1, 2, 4, 8, 16). */
  scales?: number[];
  /** Inverse lower bounds at the probe batch times each of these (default 1 and 2: the data and just off it). */
  inverseScales?: number[];
  /** Alert when a block's inverse Lipschitz lower bound exceeds this (default LIMITS.inverseWarning, 100). */
  inverseThreshold?: number;
  /** Alert when the model's reconstruction error at some scale exceeds this (default LIMITS.reconstruction). */
  reconstructionThreshold?: number;
  /** Which blocks get the rebuilt-gradient check: those declaring memorySaving (default), all, or none. */
  gradientCheck?: 'memory-saving' | 'all' | 'none';
  seed?: number;
  onAlert?: (alert: RunAlert) => void;
  onMeasurement?: (m: RunMeasurement) => void;
  /**
   * A measurement threw; its `error` line is written and training goes on. Default: one console warning per run.
   * After MAX_FAILURES_IN_A_ROW the monitor ends the run ('failed') and measures no more.
   */
  onError?: (error: RunError) => void;
}

/** Failed measurements in a row after which the monitor stops: the cause is not going away by itself. */
export const MAX_FAILURES_IN_A_ROW = 3;

export const MONITOR_DEFAULTS = {
  overheadBudget: 0.05,
  points: 8,
  iterations: 2,
  scales: [1, 2, 4, 8, 16],
  inverseScales: [1, 2],
  inverseThreshold: LIMITS.inverseWarning,
  reconstructionThreshold: LIMITS.reconstruction,
  seed: 1,
} as const;

let runCounter = 0;

function defaultFile(dir: string, model: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const safe = model.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60) || 'model';
  return join(dir, `${safe}-${stamp}-${process.pid}-${runCounter++}.jsonl`);
}

/** Names of the layers in a Flow's `blocks` or a model's `layers` that declare `memorySaving: true`. */
function memorySavingNames(model: unknown): Set<string> {
  const names = new Set<string>();
  if (typeof model !== 'object' || model === null) return names;
  const m = model as { blocks?: unknown; layers?: unknown };
  const items = Array.isArray(m.blocks) ? m.blocks : Array.isArray(m.layers) ? m.layers : [];
  for (const item of items as Array<{ name?: unknown; memorySaving?: unknown }>)
    if (item?.memorySaving === true && typeof item.name === 'string') names.add(item.name);
  return names;
}

interface BlockState {
  block: ProbeBlock;
  info: RunBlock;
  forward: WarmPower;
  /** Per inverse scale (settings.inverseScales), the inverse's power-iteration state. */
  inverse: WarmPower[];
}

export class TrainingMonitor {
  readonly file: string;
  readonly header: RunHeader;
  private readonly target: ProbeTarget;
  private readonly blocks: BlockState[];
  private readonly probe: tf.Tensor;
  private readonly cotangent: tf.Tensor | undefined;
  private readonly settings: RunSettings;
  private readonly options: MonitorOptions;
  private readonly alerted = new Set<string>();
  private first: RunMeasurement | undefined;
  private count = 0;
  private lastStep = -1;
  private measuredStep = -1;
  private failuresInARow = 0;
  private warned = false;
  /** end() is under way: a failure of its last measurement must not end the run a second time. */
  private closing = false;
  private trainingMs = 0;
  private monitorMs = 0;
  private sinceLastMs = 0;
  private lastCostMs = 0;
  private lastReturn: number | undefined;
  private lastLoss: number | undefined;
  private ended = false;

  constructor(model: unknown, options: MonitorOptions) {
    this.options = options;
    const ownName = (model as { name?: unknown }).name;
    const name = options.name ?? (typeof ownName === 'string' ? ownName : 'model');
    const points = Math.min(options.points ?? MONITOR_DEFAULTS.points, options.data.shape[0]!);
    const inputShape = options.inputShape ?? options.data.shape.slice(1);
    this.target = toProbeTarget(tf, model, name, inputShape);
    this.probe = tf.tidy(() =>
      tf.clone(tf.slice(options.data, 0, points)).reshape([points, ...this.target.inputShape]),
    );
    const blocks: ProbeBlock[] = this.target.blocks ?? [
      {
        name,
        forward: (x) => this.target.forward(x),
        ...(this.target.inverse ? { inverse: this.target.inverse } : {}),
      },
    ];
    const saving = memorySavingNames(model);
    const check = options.gradientCheck ?? 'memory-saving';
    const rng = new Rng(options.seed ?? MONITOR_DEFAULTS.seed);
    const inverseScales = options.inverseScales ?? [...MONITOR_DEFAULTS.inverseScales];
    const shapes: number[][] = [];
    tf.tidy(() => {
      let h = this.probe;
      for (const b of blocks) {
        shapes.push(h.shape.slice(1));
        h = b.forward(h);
      }
    });
    this.blocks = blocks.map((block, k) => ({
      block,
      info: {
        name: block.name,
        inputShape: shapes[k]!,
        // Unknown weights: assume it trains.
        monitored: block.trainableWeights === undefined || block.trainableWeights().length > 0,
        hasInverse: block.inverse !== undefined,
        memorySaving:
          block.inverse !== undefined && check !== 'none' && (check === 'all' || saving.has(block.name)),
      },
      forward: new WarmPower(rng.fork(`forward:${k}`)),
      inverse: inverseScales.map(
        (s) => new WarmPower(rng.fork(s === 1 ? `inverse:${k}` : `inverse:${k}:${s}`)),
      ),
    }));
    const allInvertible = this.blocks.every((b) => b.info.hasInverse);
    this.cotangent =
      allInvertible && this.blocks.some((b) => b.info.memorySaving)
        ? tf.tidy(() => {
            const out = this.blocks.reduce<tf.Tensor>((h, b) => b.block.forward(h), this.probe);
            return tf.tensor(rng.fork('cotangent').normals(out.size), out.shape);
          })
        : undefined;
    this.settings = {
      cadence:
        options.everySteps !== undefined
          ? { everySteps: options.everySteps }
          : options.everySeconds !== undefined
            ? { everySeconds: options.everySeconds }
            : { overheadBudget: options.overheadBudget ?? MONITOR_DEFAULTS.overheadBudget },
      points,
      iterations: options.iterations ?? MONITOR_DEFAULTS.iterations,
      scales: options.scales ?? [...MONITOR_DEFAULTS.scales],
      inverseScales,
      inverseThreshold: options.inverseThreshold ?? MONITOR_DEFAULTS.inverseThreshold,
      reconstructionThreshold: options.reconstructionThreshold ?? MONITOR_DEFAULTS.reconstructionThreshold,
      seed: options.seed ?? MONITOR_DEFAULTS.seed,
      fdStep: DEFAULT_FD_STEP,
    };
    this.header = {
      type: 'header',
      version: RUN_FILE_VERSION,
      kind: 'lipschitz-lens-run',
      model: name,
      startedAt: new Date().toISOString(),
      backend: tf.getBackend(),
      dataRms: tf.tidy(() => tf.sqrt(tf.mean(tf.square(this.probe))).dataSync()[0]!),
      blocks: this.blocks.map((b) => b.info),
      settings: this.settings,
    };
    const dir = options.dir ?? join(process.cwd(), '.lipschitz-lens', 'runs');
    this.file = options.file ?? defaultFile(dir, name);
    if (options.file === undefined) mkdirSync(dir, { recursive: true });
    // 'wx': one file per run, never appended to another run's file.
    writeFileSync(this.file, runLine(this.header), { flag: 'wx' });
  }

  /**
   * Call after each training step (`step` 0-based; default: one more than the last). Measures when the cadence
   * says so; returns whether it did. Synchronous, so it fits custom loops and fit() callbacks alike.
   */
  step(step?: number, loss?: number): boolean {
    const now = performance.now();
    if (this.lastReturn !== undefined) {
      this.trainingMs += now - this.lastReturn;
      this.sinceLastMs += now - this.lastReturn;
    }
    this.lastStep = step ?? this.lastStep + 1;
    this.lastLoss = loss;
    const measured = this.due() && this.tryMeasure(loss);
    this.lastReturn = performance.now();
    return measured;
  }

  /** measure(), with a failure written to the run file and reported instead of thrown into the training loop. */
  private tryMeasure(loss?: number): boolean {
    try {
      this.measure(loss);
      this.failuresInARow = 0;
      return true;
    } catch (e) {
      this.failed(e);
      return false;
    }
  }

  private failed(e: unknown): void {
    this.failuresInARow++;
    // The cadence moves on as if it had measured: retrying on the next step would fail the same way.
    this.measuredStep = this.lastStep;
    this.sinceLastMs = 0;
    const error: RunError = {
      type: 'error',
      step: Math.max(0, this.lastStep),
      time: new Date().toISOString(),
      message: e instanceof Error ? e.message : String(e),
    };
    try {
      appendFileSync(this.file, runLine(error));
    } catch {
      // Writing may be what failed; the callback below still hears of it.
    }
    if (this.options.onError) this.options.onError(error);
    else if (!this.warned) {
      this.warned = true;
      console.warn(
        `lipschitz-lens: a training-monitor measurement failed at step ${error.step}: ${error.message}`,
      );
    }
    if (this.failuresInARow >= MAX_FAILURES_IN_A_ROW && !this.closing) this.end('failed');
  }

  private due(): boolean {
    if (this.ended) return false;
    if (this.count === 0) return true;
    const c = this.settings.cadence;
    if ('everySteps' in c) return this.lastStep - this.measuredStep >= c.everySteps;
    if ('everySeconds' in c) return this.sinceLastMs + this.lastCostMs >= 1000 * c.everySeconds;
    // cost / (cost + gap) <= budget.
    return this.sinceLastMs >= (this.lastCostMs * (1 - c.overheadBudget)) / c.overheadBudget;
  }

  /** The input of every block (and the output last) for the probe batch times `scale`; [0] is that batch. */
  private blockInputs(scale: number): tf.Tensor[] {
    const inputs: tf.Tensor[] = [scale === 1 ? this.probe : tf.mul(this.probe, scale)];
    for (const b of this.blocks) {
      const x = inputs[inputs.length - 1]!;
      inputs.push(tf.tidy(() => b.block.forward(x)));
    }
    return inputs;
  }

  /** Measures now (after the last reported step, whose loss the caller may pass) and appends the record. */
  measure(loss?: number): RunMeasurement {
    const t0 = performance.now();
    const passes = emptyPasses();
    const full = this.count === 0;
    const inputs = this.blockInputs(1);
    // Block inputs with the probe batch scaled before the model, per inverse scale (1 shares `inputs`).
    const scaled = this.settings.inverseScales.map((s) => (s === 1 ? inputs : this.blockInputs(s)));
    const checked = new Set<number>();
    this.blocks.forEach((b, k) => {
      if (b.info.memorySaving && (full || b.info.monitored)) checked.add(k);
    });
    const gradients =
      this.cotangent === undefined
        ? new Map<number, number>()
        : rebuiltGradientErrors(
            tf,
            this.blocks.map((b) => b.block),
            inputs,
            this.cotangent,
            checked,
          );
    const blocks: BlockMeasurement[] = [];
    this.blocks.forEach((b, k) => {
      if (!full && !b.info.monitored) return;
      const maps = blockMaps(tf, b.block, b.info.inputShape, passes);
      const n = this.probe.shape[0]!;
      const [x, y] = [inputs[k]!, inputs[k + 1]!].map((t) => tf.reshape(t, [n, -1]) as tf.Tensor2D) as [
        tf.Tensor2D,
        tf.Tensor2D,
      ];
      const its = this.settings.iterations;
      const m: BlockMeasurement = {
        name: b.info.name,
        forward: b.forward.estimate(tf, maps.forward, x, its, passes),
        nonFinite: { forward: nonFiniteRows(tf, y) },
      };
      if (maps.inverse !== undefined) {
        const off: ScaledEstimate[] = [];
        this.settings.inverseScales.forEach((s, i) => {
          const ys = tf.reshape(scaled[i]![k + 1]!, [n, -1]) as tf.Tensor2D;
          const e = b.inverse[i]!.estimate(tf, maps.inverse!, ys, its, passes);
          ys.dispose();
          if (s === 1) m.inverse = e;
          else off.push({ scale: s, ...e });
        });
        if (off.length > 0) m.inverseOutOfDistribution = off;
        const back = tf.tidy(() => maps.inverse!(y));
        const rt = roundTrip(tf, back, x);
        back.dispose();
        m.roundTrip = finite(rt.max);
        m.nonFinite.roundTrip = rt.broken;
      }
      if (gradients.has(k)) m.gradientError = finite(gradients.get(k)!);
      tf.dispose([x, y]);
      blocks.push(m);
    });
    for (const list of new Set([inputs, ...scaled])) tf.dispose(list.slice(1));
    tf.dispose(scaled.filter((list) => list !== inputs).map((list) => list[0]!));
    const model = flatMaps(tf, this.target, passes);
    const flatProbe = tf.reshape(this.probe, [this.probe.shape[0]!, -1]) as tf.Tensor2D;
    const reconstruction =
      model.inverse === undefined ? [] : reconstructionByScale(tf, model, flatProbe, this.settings.scales);
    flatProbe.dispose();
    const cost = performance.now() - t0;
    this.monitorMs += cost;
    this.lastCostMs = cost;
    this.sinceLastMs = 0;
    this.count++;
    this.measuredStep = this.lastStep;
    const record: RunMeasurement = {
      type: 'measurement',
      step: Math.max(0, this.lastStep),
      ...(loss === undefined ? {} : { loss: finite(loss) }),
      time: new Date().toISOString(),
      durationMs: cost,
      trainingMs: this.trainingMs,
      monitorMs: this.monitorMs,
      blocks,
      reconstruction,
    };
    this.first ??= record;
    appendFileSync(this.file, runLine(record));
    this.options.onMeasurement?.(record);
    for (const alert of this.alerts(record)) {
      appendFileSync(this.file, runLine(alert));
      this.options.onAlert?.(alert);
    }
    return record;
  }

  /** First crossings in this record: each block's inverse bound, the model's reconstruction at any scale. */
  private alerts(r: RunMeasurement): RunAlert[] {
    const out: RunAlert[] = [];
    const s = this.settings;
    const show = (v: number | null): string => (v === null ? 'NaN/Inf' : v.toPrecision(3));
    for (const b of r.blocks) {
      if (b.inverse === undefined || this.alerted.has(`inverse:${b.name}`)) continue;
      const crossed = inverseCrossing(b, s.inverseThreshold);
      if (crossed === undefined) continue;
      this.alerted.add(`inverse:${b.name}`);
      const before = this.first?.blocks.find((x) => x.name === b.name);
      const initial =
        (crossed.scale === 1
          ? before?.inverse?.value
          : before?.inverseOutOfDistribution?.find((e) => e.scale === crossed.scale)?.value) ?? null;
      const where = crossed.scale === 1 ? 'at the data' : `at ${crossed.scale}× the data`;
      out.push({
        type: 'alert',
        step: r.step,
        quantity: 'inverse-lipschitz',
        block: b.name,
        value: crossed.value,
        threshold: s.inverseThreshold,
        scale: crossed.scale,
        initial,
        message: `block ${b.name}: inverse Lipschitz lower bound ${show(crossed.value)} ${where} at step ${r.step}, up from ${show(initial)} (threshold ${s.inverseThreshold})`,
      });
    }
    const crossed = r.reconstruction.find((x) => x.max === null || x.max > s.reconstructionThreshold);
    if (crossed !== undefined && !this.alerted.has('reconstruction')) {
      this.alerted.add('reconstruction');
      const initial = this.first?.reconstruction.find((x) => x.scale === crossed.scale)?.max ?? null;
      out.push({
        type: 'alert',
        step: r.step,
        quantity: 'reconstruction',
        block: this.header.model,
        value: crossed.max,
        threshold: s.reconstructionThreshold,
        scale: crossed.scale,
        initial,
        message: `${this.header.model}: reconstruction error ${show(crossed.max)} at ${crossed.scale}× the data scale at step ${r.step}, up from ${show(initial)} (threshold ${s.reconstructionThreshold})`,
      });
    }
    return out;
  }

  /** Takes a last measurement (if steps ran since the last one), writes the end line and frees the tensors. */
  end(reason: RunEnd['reason'] = 'finished'): RunEnd | undefined {
    if (this.ended || this.closing) return undefined;
    this.closing = true;
    if (this.lastReturn !== undefined) this.trainingMs += performance.now() - this.lastReturn;
    this.lastReturn = undefined;
    if (reason !== 'failed' && this.lastStep > this.measuredStep) this.tryMeasure(this.lastLoss);
    this.ended = true;
    const total = this.trainingMs + this.monitorMs;
    const end: RunEnd = {
      type: 'end',
      step: Math.max(0, this.lastStep),
      time: new Date().toISOString(),
      reason,
      trainingMs: this.trainingMs,
      monitorMs: this.monitorMs,
      overhead: total > 0 ? this.monitorMs / total : 0,
    };
    try {
      appendFileSync(this.file, runLine(end));
    } finally {
      for (const b of this.blocks) {
        b.forward.dispose();
        for (const p of b.inverse) p.dispose();
      }
      tf.dispose([this.probe, ...(this.cotangent ? [this.cotangent] : [])]);
    }
    return end;
  }

  /** A fit() callback: steps after each batch (the loss from fit's logs), ends when training ends. */
  callback(): tf.CustomCallback {
    return new tf.CustomCallback({
      onBatchEnd: (_batch, logs) => {
        this.step(undefined, logs?.loss);
      },
      onTrainEnd: () => {
        this.end();
      },
    });
  }
}

/** Starts monitoring `model` (a Flow, a tfjs LayersModel whose layers form a chain, an invertible layer). */
export function monitorTraining(model: unknown, options: MonitorOptions): TrainingMonitor {
  return new TrainingMonitor(model, options);
}
