/**
 * The MAF affine autoregressive transform with a MADE conditioner: y_i = x_i s_i(x_<i) + t_i(x_<i), with the
 * affine coupling's bounded scale forms (specification and bounds: core/src/specs/masked-autoregressive.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { logScaleOf } from './affine-coupling';
import { conditionerConfig, conditionerSettings, type CouplingArgs, Conditioner } from './coupling-net';
import { configError, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, LazyBuildLayer, single, singleShape, sumPerExample } from './layer-util';
import {
  AFFINE_COUPLING_DEFAULTS,
  type AffineCouplingOptions,
  affineCouplingErrors,
  type AffineScale,
  affineScaleRange,
} from '../specs/affine-coupling';
import { type ConditionerActivation, COUPLING_NET_DEFAULTS, couplingNetError } from '../specs/coupling-net';
import { madeMasks, maskedAutoregressiveFromWeights } from '../specs/masked-autoregressive';

/**
 * Arguments of {@link MaskedAutoregressive}: the scale form of {@link AffineCouplingArgs} (`scale`, `scaleBound`,
 * `scaleFloor`; default 'bounded-tanh' with M = 2) and the MADE conditioner's settings (`hiddenUnits`,
 * `hiddenLayers`, `activation`, `zeroInit`, `seed`, `conditionerNorm`, as in {@link CouplingArgs}). Rank-2
 * [batch, d] inputs.
 */
export interface MaskedAutoregressiveArgs extends Omit<CouplingArgs, 'hiddenChannels'> {
  scale?: AffineScale;
  scaleBound?: number;
  scaleFloor?: number;
}

/**
 * MAF step (Papamakarios et al. 2017): y_i = x_i s_i(x_<i) + t_i(x_<i) in the input's order, s and t from one
 * MADE network (Germain et al. 2015) whose masked kernels let output i see x_<i only. Forward and log-det
 * (sum log s) are one pass; the inverse x_i = (y_i - t_i(x_<i)) / s_i(x_<i) takes d passes, each fixing one more
 * coordinate. Chain with {@link Permutation} to vary the order.
 *
 * Like an affine coupling it is not globally bi-Lipschitz while s depends on x ({@link lipschitzBounds} is
 * Infinity then); {@link scaleRange} gives the scale form's range, the gain in x_i for fixed x_<i.
 */
export class MaskedAutoregressive extends LazyBuildLayer implements Invertible {
  static className = 'MaskedAutoregressive';
  readonly scale: AffineScale;
  readonly scaleBound: number;
  readonly scaleFloor: number;
  readonly hiddenUnits: number;
  readonly hiddenLayers: number;
  readonly activation: ConditionerActivation;
  readonly zeroInit: boolean;
  readonly seed: number;
  readonly conditionerNorm: number | undefined;
  private net: Conditioner | null = null;

  constructor(args: MaskedAutoregressiveArgs = {}) {
    super(args);
    this.scale = args.scale ?? AFFINE_COUPLING_DEFAULTS.scale;
    this.scaleBound = args.scaleBound ?? AFFINE_COUPLING_DEFAULTS.scaleBound;
    this.scaleFloor = args.scaleFloor ?? AFFINE_COUPLING_DEFAULTS.scaleFloor;
    const settings = conditionerSettings(args, this.name);
    ({
      hiddenUnits: this.hiddenUnits,
      hiddenLayers: this.hiddenLayers,
      activation: this.activation,
      zeroInit: this.zeroInit,
      seed: this.seed,
      conditionerNorm: this.conditionerNorm,
    } = settings);
    const error =
      affineCouplingErrors(this)[0] ??
      couplingNetError({ ...settings, hiddenChannels: COUPLING_NET_DEFAULTS.hiddenChannels });
    if (error !== undefined) configError(this.name, error);
  }

  private get options(): AffineCouplingOptions {
    return { scale: this.scale, scaleBound: this.scaleBound, scaleFloor: this.scaleFloor };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const d = shape[shape.length - 1];
    if (shape.length !== 2 || d == null) {
      configError(this.name, `expects [batch, d] inputs with d known, got [${shape.join(', ')}]`);
    }
    this.net = new Conditioner(
      2,
      d,
      this.hiddenUnits,
      this.hiddenLayers,
      2 * d,
      this.activation,
      this.zeroInit,
      this.seed,
      (name, wShape, init) => this.addLayerWeight(name, wShape, init),
      this.conditionerNorm,
      madeMasks(d, this.hiddenUnits, this.hiddenLayers),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /** [log s, t] at x, each [batch, d]: entry i a function of x_<i only. */
  private params(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
    this.ensureBuilt(x.shape);
    const d = x.shape[1]!;
    const [h, t] = tf.split(this.net!.apply(x), [d, d], 1);
    return [logScaleOf(h!, this.options), t!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [logS, t] = this.params(x);
      return tf.add(tf.mul(x, tf.exp(logS)), t);
    });
  }

  /**
   * d passes of x <- (y - t(x)) / s(x) from x = y: after pass k the first k coordinates are exact (coordinate k
   * depends only on earlier ones, already exact), so after d passes all are.
   */
  inverse(y: tf.Tensor): tf.Tensor {
    this.ensureBuilt(y.shape);
    let x = tf.clone(y);
    for (let k = 0; k < y.shape[1]!; k++) {
      const next = tf.tidy(() => {
        const [logS, t] = this.params(x);
        return tf.mul(tf.sub(y, t), tf.exp(tf.neg(logS)));
      });
      x.dispose();
      x = next;
    }
    return x;
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => sumPerExample(this.params(x)[0]));
  }

  /** The closure of the range of s for this scale form: [min, max], the gains in x_i for fixed x_<i. */
  scaleRange(): [number, number] {
    return affineScaleRange(this.options);
  }

  /**
   * Infinity while the scale outputs depend on x (or before the layer is built); finite while they are constant
   * (formula: core/src/specs/masked-autoregressive.ts).
   */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.net === null) return { forward: Infinity, inverse: Infinity };
    const d = (this.net.kernels[this.net.kernels.length - 1]!.shape[1] as number) / 2;
    return maskedAutoregressiveFromWeights(
      this.options,
      this.net.lipschitz(0, d),
      this.net.lipschitz(d, 2 * d),
      d,
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      scale: this.scale,
      scaleBound: this.scaleBound,
      scaleFloor: this.scaleFloor,
      ...conditionerConfig(this),
    };
  }
}
tf.serialization.registerClass(MaskedAutoregressive, PACKAGE);
