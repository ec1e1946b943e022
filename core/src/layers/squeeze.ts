import * as tf from '@tensorflow/tfjs';
import { configError, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, type LayerArgs, single, singleShape } from './layer-util';
import { squeezeFromWeights } from '../specs/squeeze';

/** Arguments of {@link Squeeze}: only the common layer arguments. */
export type SqueezeArgs = LayerArgs;

/**
 * Glow / RealNVP squeeze: NHWC [b, h, w, c] -> [b, h/2, w/2, 4c], each 2x2 patch moved into channels
 * (order dy, dx, c, so tf.depthToSpace(y, 2) undoes it). A permutation of entries: log-det 0, isometric both ways.
 */
export class Squeeze extends tf.layers.Layer implements Invertible {
  static className = 'Squeeze';

  constructor(args: SqueezeArgs = {}) {
    super(args);
  }

  private check(shape: tf.Shape): void {
    if (shape.length !== 4) configError(this.name, `expects rank 4 NHWC input, got rank ${shape.length}`);
    const [, h, w] = shape;
    if ((h != null && h % 2 !== 0) || (w != null && w % 2 !== 0)) {
      configError(this.name, `needs even height and width to squeeze 2x2 patches, got ${h}x${w}`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.check(singleShape(inputShape));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    this.check(x.shape);
    const [b, h, w, c] = x.shape as [number, number, number, number];
    return tf.tidy(() =>
      tf.reshape(tf.transpose(tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]), [0, 1, 3, 2, 4, 5]), [
        b,
        h / 2,
        w / 2,
        4 * c,
      ]),
    );
  }

  inverse(y: tf.Tensor): tf.Tensor {
    if (y.rank !== 4 || y.shape[3]! % 4 !== 0) {
      configError(
        this.name,
        `inverse expects rank 4 input with channels divisible by 4, got [${y.shape.join(', ')}]`,
      );
    }
    const [b, h, w, c4] = y.shape as [number, number, number, number];
    const c = c4 / 4;
    return tf.tidy(() =>
      tf.reshape(tf.transpose(tf.reshape(y, [b, h, w, 2, 2, c]), [0, 1, 3, 2, 4, 5]), [b, 2 * h, 2 * w, c]),
    );
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.zeros([x.shape[0]!]);
  }

  lipschitzBounds(): { forward: number; inverse: number } {
    return squeezeFromWeights();
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = singleShape(inputShape);
    this.check(shape);
    const [b, h, w, c] = shape;
    const half = (d: number | null | undefined): number | null => (d == null ? null : d / 2);
    return [b ?? null, half(h), half(w), c == null ? null : 4 * c];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(Squeeze, PACKAGE);
