/**
 * The training monitor's run file: JSON lines, one file per run (docs/monitor.md). The first line is a header
 * (format version, model, blocks, settings); then one line per measurement, per threshold alert, per failed
 * measurement, and a last line when the run ends. Every line is written by a single append of the complete line, so a reader that meets a
 * trailing line without its newline is looking at a write in progress and skips it. tfjs-free: the CLI and the
 * webview read runs with it.
 */

/** The version written. 2 added `error` lines; a version 1 file is read as one without them. */
export const RUN_FILE_VERSION = 2;
const READABLE_VERSIONS: readonly unknown[] = [1, RUN_FILE_VERSION];

/** What a block's estimate is: every Lipschitz figure here is a lower bound measured at the probe points. */
export interface LipschitzEstimate {
  kind: 'lower-bound';
  /**
   * max over the probe points of |J^T u| / |u| (u = J v after warm-started power steps on J^T J), with J the
   * Jacobian of the map at the point: each is at most the point's largest singular value, hence at most the map's
   * Lipschitz constant. null when no point gave a finite value.
   */
  value: number | null;
  /** The probe point that gave it (row of the probe batch). */
  point: number | null;
  /** Power steps in this measurement; `totalIterations` counts those since the run started (warm start). */
  iterations: number;
  totalIterations: number;
  /**
   * |J^T J v - lambda v| / lambda at that point, lambda = |J v|^2: how far v is from a singular vector. It bounds the
   * distance to the nearest singular value, not to the largest: a convergence diagnostic, never an upper bound.
   */
  residual: number | null;
}

/** An estimate at the probe batch scaled by `scale` before it enters the model (out of distribution). */
export interface ScaledEstimate extends LipschitzEstimate {
  scale: number;
}

export interface BlockMeasurement {
  name: string;
  /** Lower bound on the block's Lipschitz constant, at the probe batch's inputs to the block. */
  forward: LipschitzEstimate;
  /** Lower bound on the Lipschitz constant of the block's inverse, at the block's outputs; absent without inverse. */
  inverse?: LipschitzEstimate;
  /**
   * The same at the block's outputs when the probe batch enters the model scaled by each of the settings'
   * `inverseScales` other than 1: where an affine coupling's inverse grows first.
   */
  inverseOutOfDistribution?: ScaledEstimate[];
  /** Largest relative error |F^-1(F(x)) - x| / |x| over the block's inputs; null when some row was NaN/Inf. */
  roundTrip?: number | null;
  /** Rows of the probe batch whose block output (resp. round trip) had NaN/Inf. */
  nonFinite: { forward: number; roundTrip?: number };
  /**
   * Memory-saving blocks: the largest relative error of the gradient wrt the block's input when the activations
   * are rebuilt by the inverses from the model's output, against backprop at the stored ones. null: NaN/Inf.
   */
  gradientError?: number | null;
}

/** The whole model's reconstruction error on the probe batch scaled by `scale` (1: the data itself). */
export interface ScaleReconstruction {
  scale: number;
  /** Largest relative error |F^-1(F(x)) - x| / |x| over the rows; null when some row gave NaN/Inf. */
  max: number | null;
  median: number | null;
  nonFinite: number;
}

export interface RunBlock {
  name: string;
  /** Shape of one input point of the block (no batch axis). */
  inputShape: number[];
  /** Blocks without trainable weights do not change in training: measured in the first record only. */
  monitored: boolean;
  hasInverse: boolean;
  /** Its activations are rebuilt by the inverse in backprop (declared by the layer, or gradientCheck 'all'). */
  memorySaving: boolean;
}

export interface RunSettings {
  /** When measurements are taken: every N steps, every N seconds, or adaptively to hold the overhead share. */
  cadence: { everySteps: number } | { everySeconds: number } | { overheadBudget: number };
  /** Rows of the probe batch, drawn once from the data given at the start. */
  points: number;
  /** Power steps per block and direction per measurement. */
  iterations: number;
  /** Scales of the reconstruction sweep, in multiples of the probe batch. */
  scales: number[];
  /** Scales of the probe batch at which inverse lower bounds are measured (1: the data itself). */
  inverseScales: number[];
  /** Thresholds the monitor alerts on (the CLI may apply others). */
  inverseThreshold: number;
  reconstructionThreshold: number;
  seed: number;
  /** Relative finite-difference step of the J v products. */
  fdStep: number;
}

export interface RunHeader {
  type: 'header';
  version: 1 | typeof RUN_FILE_VERSION;
  kind: 'lipschitz-lens-run';
  model: string;
  startedAt: string;
  backend: string;
  /** RMS of the probe batch: the data scale the reconstruction scales multiply. */
  dataRms: number;
  blocks: RunBlock[];
  settings: RunSettings;
}

export interface RunMeasurement {
  type: 'measurement';
  /** The training step the caller reported (0-based), after which this was measured. */
  step: number;
  /** Training loss the caller reported at that step, when it did (null: not finite). */
  loss?: number | null;
  time: string;
  /** Milliseconds spent measuring for this record. */
  durationMs: number;
  /** Cumulative wall time in training (between the monitor's calls) and in the monitor, in ms. */
  trainingMs: number;
  monitorMs: number;
  blocks: BlockMeasurement[];
  reconstruction: ScaleReconstruction[];
}

export type AlertQuantity = 'inverse-lipschitz' | 'reconstruction';

/** The first time a block (or the model, for reconstruction) crossed a threshold: written once per pair. */
export interface RunAlert {
  type: 'alert';
  step: number;
  quantity: AlertQuantity;
  /** The block, or the model's name for reconstruction. */
  block: string;
  /** The crossing value; null when it was NaN/Inf. */
  value: number | null;
  threshold: number;
  /** The input scale (multiple of the probe batch) where it crossed; 1: at the data. */
  scale: number;
  /** The same quantity in the run's first measurement, for "up from ...". */
  initial: number | null;
  message: string;
}

/**
 * A measurement that threw (a block's inverse failing, the disk full): the training went on, this record says
 * why the figures for that step are missing. After a few in a row the monitor stops and ends the run 'failed'.
 */
export interface RunError {
  type: 'error';
  /** The training step after which the measurement was attempted. */
  step: number;
  time: string;
  message: string;
}

export interface RunEnd {
  type: 'end';
  step: number;
  time: string;
  reason: 'finished' | 'stopped' | 'failed';
  trainingMs: number;
  monitorMs: number;
  /** monitorMs / (trainingMs + monitorMs). */
  overhead: number;
}

export type RunLine = RunHeader | RunMeasurement | RunAlert | RunError | RunEnd;

export interface RunFile {
  header: RunHeader;
  measurements: RunMeasurement[];
  alerts: RunAlert[];
  errors: RunError[];
  end?: RunEnd;
  /** Bytes of a trailing line still being written, skipped. */
  partialBytes: number;
}

export class RunFileError extends Error {
  override readonly name = 'RunFileError';
  constructor(
    message: string,
    /** True when the file only lacks its first complete line: a run that is starting. */
    readonly beforeHeader = false,
  ) {
    super(message);
  }
}

/** JSON's stand-in for a number that is not finite. */
export function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a run file's text (complete or still being written). The header's version is checked first, so a newer
 * format is refused by name; a trailing line without newline is skipped; an unknown line type is an error.
 */
export function parseRunFile(text: string): RunFile {
  const lastNewline = text.lastIndexOf('\n');
  const complete = text.slice(0, lastNewline + 1);
  const lines = complete.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new RunFileError('the run file has no complete header line yet', true);
  const parsed = lines.map((line, i): unknown => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new RunFileError(`line ${i + 1} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  const head = parsed[0];
  if (!isObject(head) || head.type !== 'header') throw new RunFileError('line 1 is not a run header');
  if (!READABLE_VERSIONS.includes(head.version))
    throw new RunFileError(
      `unsupported run file version ${JSON.stringify(head.version ?? null)} (this reader knows ${READABLE_VERSIONS.join(' and ')})`,
    );
  if (head.kind !== 'lipschitz-lens-run' || !Array.isArray(head.blocks) || !isObject(head.settings))
    throw new RunFileError('the header lacks kind, blocks or settings');
  const run: RunFile = {
    header: head as unknown as RunHeader,
    measurements: [],
    alerts: [],
    errors: [],
    partialBytes: text.length - complete.length,
  };
  parsed.slice(1).forEach((line, i) => {
    if (!isObject(line)) throw new RunFileError(`line ${i + 2} is not an object`);
    switch (line.type) {
      case 'measurement':
        if (
          typeof line.step !== 'number' ||
          !Array.isArray(line.blocks) ||
          !Array.isArray(line.reconstruction)
        )
          throw new RunFileError(`line ${i + 2}: a measurement needs step, blocks and reconstruction`);
        for (const b of line.blocks as unknown[])
          if (!isObject(b) || typeof b.name !== 'string' || !isObject(b.forward) || !isObject(b.nonFinite))
            throw new RunFileError(`line ${i + 2}: a block needs name, forward and nonFinite`);
        run.measurements.push(line as unknown as RunMeasurement);
        return;
      case 'alert':
        run.alerts.push(line as unknown as RunAlert);
        return;
      case 'error':
        if (head.version === 1) break;
        if (typeof line.step !== 'number' || typeof line.message !== 'string')
          throw new RunFileError(`line ${i + 2}: an error needs step and message`);
        run.errors.push(line as unknown as RunError);
        return;
      case 'end':
        run.end = line as unknown as RunEnd;
        return;
    }
    throw new RunFileError(`line ${i + 2} has unknown type ${JSON.stringify(line.type ?? null)}`);
  });
  return run;
}

/** One line of the file: JSON with its newline, written whole by one append. */
export function runLine(line: RunLine): string {
  return `${JSON.stringify(line)}\n`;
}
