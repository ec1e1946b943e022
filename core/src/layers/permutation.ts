import * as tf from '@tensorflow/tfjs';
import { configError, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, type LayerArgs, LazyBuildLayer, single, singleShape } from './layer-util';
import { permuteLastAxis } from './portable-ops';
import { hashSeed, SeededRandom } from './seeded-random';
import {
  invertPermutation,
  PERMUTATION_DEFAULTS,
  type PermutationMode,
  permutationFromWeights,
  permutationModeError,
} from '../specs/permutation';

export type { PermutationMode } from '../specs/permutation';

/** Arguments of {@link Permutation}. */
export interface PermutationArgs extends LayerArgs {
  /** 'reverse' flips the channel order (RealNVP); 'shuffle' draws a seeded random permutation. Default 'shuffle'. */
  mode?: PermutationMode;
  /** Seed of the shuffle. Default: derived from the layer name. */
  seed?: number;
  /**
   * The permutation itself; written to the config once built so a saved model does not depend on the
   * generator reproducing it. Output channel i is input channel permutation[i].
   */
  permutation?: number[] | null;
}

/** A fixed permutation of the last axis: volume preserving, an isometry, exactly invertible. */
export class Permutation extends LazyBuildLayer implements Invertible {
  static className = 'Permutation';
  readonly mode: PermutationMode;
  readonly seed: number;
  private perm: number[] | null;
  private inv: number[] | null = null;

  constructor(args: PermutationArgs = {}) {
    super(args);
    this.mode = args.mode ?? PERMUTATION_DEFAULTS.mode;
    this.seed = args.seed ?? hashSeed(this.name);
    this.perm = args.permutation ?? null;
    const error = permutationModeError(this.mode);
    if (error !== undefined) configError(this.name, error);
    if (this.perm !== null) this.inv = this.invert(this.perm);
  }

  private invert(perm: number[]): number[] {
    const inv = invertPermutation(perm);
    if ('error' in inv) configError(this.name, inv.error);
    return inv;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const n = shape[shape.length - 1];
    if (shape.length < 2 || n == null) configError(this.name, 'needs rank >= 2 and a known channel count');
    if (this.perm === null) {
      this.perm =
        this.mode === 'reverse'
          ? Array.from({ length: n }, (_, i) => n - 1 - i)
          : new SeededRandom(this.seed).permutation(n);
      this.inv = this.invert(this.perm);
    } else if (this.perm.length !== n) {
      configError(this.name, `permutation has ${this.perm.length} entries but the input has ${n} channels`);
    }
    this.built = true;
  }

  /** [applied, its inverse]: the forward's permutation, or the inverse's. */
  private indices(x: tf.Tensor, inverse: boolean): [number[], number[]] {
    if (!this.built) this.ensureBuilt(x.shape);
    return inverse ? [this.inv!, this.perm!] : [this.perm!, this.inv!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    const [idx, back] = this.indices(x, false);
    return tf.tidy(() => permuteLastAxis(x, idx, back));
  }

  inverse(y: tf.Tensor): tf.Tensor {
    const [idx, back] = this.indices(y, true);
    return tf.tidy(() => permuteLastAxis(y, idx, back));
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.zeros([x.shape[0]!]);
  }

  lipschitzBounds(): { forward: number; inverse: number } {
    return permutationFromWeights();
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, seed: this.seed, permutation: this.perm };
  }
}
tf.serialization.registerClass(Permutation, PACKAGE);
