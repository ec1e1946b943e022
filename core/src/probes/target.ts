/**
 * What the probes measure: a generic map with an optional inverse and optional blocks, so a `Flow`, a tfjs
 * LayersModel or a user's own object all fit. tfjs is only a type here: the worker passes in whichever copy
 * the user's code resolves, so tensors never cross two engines.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { InputPlace } from '../report/fixed-point';
import type { PassCount, ProbeStatus } from '../report/schema';
import type { Rng } from './rng';

export type Tf = typeof tfjs;
export type Tensor = tfjs.Tensor;
export type Tensor1D = tfjs.Tensor1D;
export type Tensor2D = tfjs.Tensor2D;
export type Variable = tfjs.Variable;

/** One stage of the model; its name is what the report shows for "the exploding block". */
export interface ProbeBlock {
  name: string;
  forward(x: Tensor): Tensor;
  inverse?(y: Tensor): Tensor;
  /** log |det dF/dx| per batch element, shape [batch]. */
  logDet?(x: Tensor): Tensor;
  /** The variables `forward` reads that training updates (for weight-gradient checks); absent: none known. */
  trainableWeights?(): Variable[];
}

/**
 * A layer whose inverse is a fixed-point iteration that reports on its last run (InvertibleResidual, or any layer
 * with lastInverseReport()); probes record every such run (fixed-point.ts).
 */
export interface IterativeInverse {
  /** The layer's name: what findings name, and what a source map may key its range by. */
  name: string;
  /** The probe block that holds the layer (its own name for a flow's blocks). */
  block: string;
  layer: { inverse(y: Tensor): Tensor; lastInverseReport(): unknown };
}

/**
 * Every map works on a batch whose rows are independent points: the probes batch their work over points and
 * rely on row independence (no batch statistics in the forward pass).
 */
export interface ProbeTarget {
  name: string;
  /** Shape of one input point (no batch axis). */
  inputShape: number[];
  forward(x: Tensor): Tensor;
  inverse?(y: Tensor): Tensor;
  /** When present, forward equals the blocks applied in order. */
  blocks?: ProbeBlock[];
  logDet?(x: Tensor): Tensor;
  /** The layers inside `inverse` whose inverse iterates, so their convergence can be checked. */
  iterativeInverses?: IterativeInverse[];
}

/** Why a probe stopped early. */
export type StopReason = Extract<ProbeStatus, 'timeout' | 'cancelled'>;

export interface ProbeContext {
  tf: Tf;
  rng: Rng;
  signal?: AbortSignal;
  /** Epoch milliseconds after which probes return what they have. */
  deadline: number;
  /** Fraction of this probe done, in [0, 1]. */
  progress(fraction: number, message?: string): void;
  passes: PassCount;
  /**
   * Runs f with its inputs at `place` (a kind at a multiple of the data's scale), so what is recorded meanwhile
   * (fixed-point inverse runs) says where it happened; work outside any `at` counts as at the data.
   */
  at<T>(place: InputPlace, f: () => T): T;
}

export function stopReason(ctx: ProbeContext): StopReason | undefined {
  if (ctx.signal?.aborted === true) return 'cancelled';
  if (Date.now() > ctx.deadline) return 'timeout';
  return undefined;
}

/** Lets the event loop run (so IPC cancel messages arrive) between heavy steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function pointSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The target's maps on flattened points, [n, d] -> [n, d'], counting passes. Probes do their linear algebra
 * on rows; only these wrappers know the model's real shapes.
 */
export interface FlatMaps {
  dIn: number;
  forward(x: Tensor2D): Tensor2D;
  inverse?(y: Tensor2D): Tensor2D;
  outputShape: number[];
}

export function flatMaps(tf: Tf, target: ProbeTarget, passes: PassCount): FlatMaps {
  const inShape = target.inputShape;
  const probe = tf.tidy(() => target.forward(tf.zeros([1, ...inShape])));
  const outputShape = probe.shape.slice(1);
  probe.dispose();
  const maps: FlatMaps = {
    dIn: pointSize(inShape),
    outputShape,
    forward: (x) => {
      passes.forward++;
      const n = x.shape[0];
      return tf.reshape(target.forward(tf.reshape(x, [n, ...inShape])), [n, -1]);
    },
  };
  const inverse = target.inverse?.bind(target);
  if (inverse !== undefined) {
    maps.inverse = (y) => {
      passes.inverse++;
      const n = y.shape[0];
      return tf.reshape(inverse(tf.reshape(y, [n, ...outputShape])), [n, -1]);
    };
  }
  return maps;
}

/** Flat maps of one block, whose input shape may differ from the model's (e.g. after a squeeze). */
export function blockMaps(tf: Tf, block: ProbeBlock, inShape: number[], passes: PassCount): FlatMaps {
  return flatMaps(
    tf,
    { name: block.name, inputShape: inShape, forward: (x) => block.forward(x), ...inverseOf(block) },
    passes,
  );
}

function inverseOf(block: ProbeBlock): { inverse?: (y: Tensor) => Tensor } {
  const inv = block.inverse?.bind(block);
  return inv === undefined ? {} : { inverse: inv };
}

export function emptyPasses(): PassCount {
  return { forward: 0, inverse: 0, backward: 0 };
}
