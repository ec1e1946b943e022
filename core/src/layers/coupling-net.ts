/**
 * The conditioner network of a coupling layer and the base class both couplings share. The conditioner
 * owns its kernels directly on the host layer (no nested tfjs sublayers), so a saved model lists flat
 * weights `<layer>/kernel_0`, `<layer>/bias_0`, ... and loads without custom sublayer plumbing.
 */
import * as tf from '@tensorflow/tfjs';
import { gramSpectralBound } from '../linalg/gram';
import { matrix } from '../linalg/matrix64';
import type { Initializer } from './initializer-config';
import { configError, type Invertible } from './invertible';
import { type LayerArgs, LazyBuildLayer, vectorOrImageShape } from './layer-util';
import { conv2d } from './portable-ops';
import { hashSeed } from './seeded-random';
import { certifiedDenseDivisor } from './spectral-norm';
import {
  type ConditionerActivation,
  conditionerLipschitz,
  COUPLING_NET_DEFAULTS as DEFAULTS,
  couplingNetError,
} from '../specs/coupling-net';

export { ACTIVATION_LIPSCHITZ, type ConditionerActivation } from '../specs/coupling-net';

/** The conditioner's activation applied elementwise; the caller owns the tidy scope. */
export function activate(x: tf.Tensor, activation: ConditionerActivation): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'softplus':
      return tf.softplus(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'linear':
      return x;
  }
}

/**
 * The derivative of `activate` at the pre-activation z, elementwise, from ops every backend has (hand-written
 * backward passes use it: the reversible block's). ELU's is 1 for z > 0 and exp(z) below; ReLU's 0 at z = 0.
 */
export function activationSlope(z: tf.Tensor, activation: ConditionerActivation): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.step(z, 0);
    case 'tanh':
      return tf.sub(1, tf.square(tf.tanh(z)));
    case 'elu':
      return tf.where(tf.greater(z, 0), tf.onesLike(z), tf.exp(tf.minimum(z, 0)));
    case 'softplus':
      return tf.sigmoid(z);
    case 'sigmoid': {
      const s = tf.sigmoid(z);
      return tf.mul(s, tf.sub(1, s));
    }
    case 'linear':
      return tf.onesLike(z);
  }
}

/** Shared arguments of the coupling layers. */
export interface CouplingArgs extends LayerArgs {
  /** Width of the hidden dense layers for rank-2 inputs. Default 64. */
  hiddenUnits?: number;
  /** Channels of the hidden 3x3 'same' convolutions for rank-4 NHWC inputs. Default 32. */
  hiddenChannels?: number;
  /** Number of hidden layers of the conditioner. Default 2. */
  hiddenLayers?: number;
  /** Conditioner activation. Default 'relu'. */
  activation?: ConditionerActivation;
  /** Zero-initialise the conditioner's last layer so the block starts as the identity (Glow). Default true. */
  zeroInit?: boolean;
  /** Seed of the kernel initialisers. Default: derived from the layer name. */
  seed?: number;
  /**
   * Rescale every conditioner kernel to a certified spectral norm <= c, so the conditioner's Lipschitz constant
   * (and with it an additive coupling's bounds, or an affine coupling's on a declared input domain) is known
   * from the options. Default: unconstrained.
   */
  conditionerNorm?: number;
}

type AddWeight = (name: string, shape: number[], init: Initializer) => tf.LayerVariable;

/** An MLP (rank 2) or stack of 3x3 'same' convolutions (rank 4) mapping x1 to the coupling parameters. */
export class Conditioner {
  readonly kernels: tf.LayerVariable[] = [];
  readonly biases: tf.LayerVariable[] = [];

  constructor(
    readonly rank: 2 | 4,
    inChannels: number,
    hidden: number,
    hiddenLayers: number,
    outChannels: number,
    readonly activation: ConditionerActivation,
    zeroInit: boolean,
    seed: number,
    addWeight: AddWeight,
    readonly norm: number | undefined = undefined,
    /** Per kernel, a 0/1 mask of its shape multiplied in before anything else (MADE's autoregressive masks). */
    readonly masks: readonly Float32Array[] | undefined = undefined,
  ) {
    const widths = [inChannels, ...Array<number>(hiddenLayers).fill(hidden), outChannels];
    for (let i = 0; i + 1 < widths.length; i++) {
      const last = i + 2 === widths.length;
      const shape = rank === 2 ? [widths[i]!, widths[i + 1]!] : [3, 3, widths[i]!, widths[i + 1]!];
      const init =
        last && zeroInit ? tf.initializers.zeros() : tf.initializers.glorotUniform({ seed: seed + i });
      this.kernels.push(addWeight(`kernel_${i}`, shape, init));
      this.biases.push(addWeight(`bias_${i}`, [widths[i + 1]!], tf.initializers.zeros()));
    }
  }

  /** The kernels, masked when masks are given; the caller owns the tidy scope. */
  private masked(): tf.Tensor[] {
    return this.kernels.map((kernel, i) => {
      const read = kernel.read();
      const mask = this.masks?.[i];
      return mask === undefined ? read : tf.mul(read, tf.tensor(mask, read.shape));
    });
  }

  /**
   * The factor a masked kernel is applied with: with a norm c, min(1, c / certified norm of its [rows, cout]
   * reshape), else 1. A constant in the backward pass (a projection, recomputed from the new weights at every
   * call), so the constraint holds for every weight the optimiser reaches.
   */
  private scaleOf(k: tf.Tensor): number {
    if (this.norm === undefined) return 1;
    // A rank-2 kernel is read as it is: a reshape, even to its own shape, would be taped (and its input kept)
    // inside a gradient computation.
    const rows = k.rank === 2 ? k : k.reshape([-1, k.shape[k.rank - 1]!]);
    const divisor = certifiedDenseDivisor(rows as tf.Tensor2D);
    return divisor > this.norm ? this.norm / divisor : 1;
  }

  /** Each kernel's factor as applied (see scaleOf), for hand-written backward passes. */
  scales(): number[] {
    return tf.tidy(() => this.masked().map((k) => this.scaleOf(k)));
  }

  /** The kernels as applied: masked, then scaled by scaleOf. The caller owns the tidy scope. */
  applied(): tf.Tensor[] {
    return this.masked().map((k) => {
      const scale = this.scaleOf(k);
      return scale === 1 ? k : tf.mul(k, scale);
    });
  }

  /** Forward pass; the caller owns the tidy scope. */
  apply(x: tf.Tensor): tf.Tensor {
    let h = x;
    this.applied().forEach((k, i) => {
      h =
        this.rank === 2
          ? tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), this.biases[i]!.read())
          : tf.add(conv2d(h as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), this.biases[i]!.read());
      if (i + 1 < this.kernels.length) h = activate(h, this.activation);
    });
    return h;
  }

  /**
   * Upper bound on the Lipschitz constant of the output columns [from, to), from certified spectral norms (Gram
   * iteration, float64) of the kernels as applied, reshaped to [rows, cout]; formula:
   * core/src/specs/coupling-net.ts.
   */
  lipschitz(from = 0, to?: number): number {
    const kernels = tf.tidy(() => this.applied().map((k) => k.dataSync()));
    const norms = this.kernels.map((kernel, i) => {
      const shape = kernel.shape as number[];
      const cout = shape[shape.length - 1]!;
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const last = i + 1 === this.kernels.length;
      const lo = last ? from : 0;
      const hi = last ? (to ?? cout) : cout;
      const full = kernels[i]!;
      const cols = matrix(rows, hi - lo);
      for (let r = 0; r < rows; r++)
        for (let c = lo; c < hi; c++) cols.data[r * (hi - lo) + c - lo] = full[r * cout + c]!;
      return gramSpectralBound(cols).bound;
    });
    return conditionerLipschitz(norms, this.activation, this.rank);
  }
}

/** The dense conditioner's settings with their defaults, as every conditioned layer reads them. */
export interface ConditionerSettings {
  hiddenUnits: number;
  hiddenLayers: number;
  activation: ConditionerActivation;
  zeroInit: boolean;
  /** Defaults to a hash of the layer's name, so a named layer's weights repeat. */
  seed: number;
  conditionerNorm: number | undefined;
}

/** A conditioned layer's conditioner entries in its config (getConfig): what conditionerSettings reads back. */
export function conditionerConfig(
  s: Omit<ConditionerSettings, 'conditionerNorm'> & { conditionerNorm?: number | undefined },
): tf.serialization.ConfigDict {
  return {
    hiddenUnits: s.hiddenUnits,
    hiddenLayers: s.hiddenLayers,
    activation: s.activation,
    zeroInit: s.zeroInit,
    seed: s.seed,
    ...(s.conditionerNorm !== undefined ? { conditionerNorm: s.conditionerNorm } : {}),
  };
}

export function conditionerSettings(
  args: Omit<CouplingArgs, 'hiddenChannels'>,
  layerName: string,
): ConditionerSettings {
  return {
    hiddenUnits: args.hiddenUnits ?? DEFAULTS.hiddenUnits,
    hiddenLayers: args.hiddenLayers ?? DEFAULTS.hiddenLayers,
    activation: args.activation ?? DEFAULTS.activation,
    zeroInit: args.zeroInit ?? DEFAULTS.zeroInit,
    seed: args.seed ?? hashSeed(layerName),
    conditionerNorm: args.conditionerNorm ?? DEFAULTS.conditionerNorm,
  };
}

/**
 * Base of the additive and affine couplings: splits the last axis into halves x1 | x2, keeps x1 and
 * transforms x2 with parameters computed from x1.
 */
export abstract class CouplingBase extends LazyBuildLayer implements Invertible {
  readonly hiddenUnits: number;
  readonly hiddenChannels: number;
  readonly hiddenLayers: number;
  readonly activation: ConditionerActivation;
  readonly zeroInit: boolean;
  readonly seed: number;
  readonly conditionerNorm: number | undefined;
  protected net: Conditioner | null = null;
  /** The input shape the layer was built for (batch dimension null). */
  protected builtShape: tf.Shape | null = null;

  /** Conditioner outputs per channel of x2 (1 for shift only, 2 for scale and shift). */
  protected abstract readonly paramsPerChannel: number;

  constructor(args: CouplingArgs) {
    super(args);
    const settings = conditionerSettings(args, this.name);
    ({
      hiddenUnits: this.hiddenUnits,
      hiddenLayers: this.hiddenLayers,
      activation: this.activation,
      zeroInit: this.zeroInit,
      seed: this.seed,
      conditionerNorm: this.conditionerNorm,
    } = settings);
    this.hiddenChannels = args.hiddenChannels ?? DEFAULTS.hiddenChannels;
    const error = couplingNetError({ ...settings, hiddenChannels: this.hiddenChannels });
    if (error !== undefined) configError(this.name, error);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const { shape, channels } = vectorOrImageShape(this.name, inputShape);
    if (channels == null || channels % 2 !== 0) {
      configError(
        this.name,
        `needs an even, known channel count on the last axis to split in halves, got ${channels}`,
      );
    }
    const half = channels / 2;
    const rank = shape.length === 2 ? 2 : 4;
    this.builtShape = shape;
    this.net = new Conditioner(
      rank,
      half,
      rank === 2 ? this.hiddenUnits : this.hiddenChannels,
      this.hiddenLayers,
      half * this.paramsPerChannel,
      this.activation,
      this.zeroInit,
      this.seed,
      (name, wShape, init) => this.addLayerWeight(name, wShape, init),
      this.conditionerNorm,
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /** The conditioner, built on first use with the input's shape. */
  protected conditioner(x: tf.Tensor): Conditioner {
    this.ensureBuilt(x.shape);
    return this.net!;
  }

  protected split(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const half = x.shape[x.rank - 1]! / 2;
    const [x1, x2] = tf.split(x, [half, half], -1);
    return [x1!, x2!];
  }

  abstract inverse(y: tf.Tensor): tf.Tensor;
  abstract logDetJacobian(x: tf.Tensor): tf.Tensor1D;
  abstract lipschitzBounds(): { forward: number; inverse: number };

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      ...conditionerConfig(this),
      hiddenChannels: this.hiddenChannels,
    };
  }
}
