// Port of nflows' MaskedAffineAutoregressiveTransform: a MADE (masked dense layers) outputs, for every feature,
// an unconstrained scale and a shift that depend only on earlier features. Forward is one pass; the inverse
// needs one MADE pass per feature. Scale: sigmoid(unconstrained_scale + 2) + 1e-3, as in nflows.
import * as tf from '@tensorflow/tfjs';

interface MaskedDenseArgs {
  units: number;
  mask: tf.Tensor2D; // [in, units], 1 where the connection is allowed
  activation?: 'relu' | 'linear';
}

class MaskedDense extends tf.layers.Layer {
  static className = 'MaskedDense';
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private readonly mask: tf.Tensor2D;
  private readonly units: number;
  private readonly activation: string;

  constructor(args: MaskedDenseArgs) {
    super({});
    this.units = args.units;
    this.mask = args.mask;
    this.activation = args.activation ?? 'linear';
  }

  override build(inputShape: tf.Shape | tf.Shape[]) {
    const inDim = (inputShape as tf.Shape)[1]!;
    this.kernel = this.addWeight('kernel', [inDim, this.units], 'float32', tf.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const h = tf.add(tf.matMul(x, tf.mul(this.kernel.read(), this.mask)), this.bias.read());
    return this.activation === 'relu' ? tf.relu(h) : h;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0]!, this.units];
  }
}
tf.serialization.registerClass(MaskedDense);

/** Degrees as in MADE: inputs 1..D, hidden units cycle through 1..D-1, outputs repeat the input degrees. */
function made(features: number, hidden: number, outputMultiplier: number): tf.Sequential {
  const inDeg = Array.from({ length: features }, (_, i) => i + 1);
  const hidDeg = Array.from({ length: hidden }, (_, k) => (k % Math.max(1, features - 1)) + 1);
  const outDeg = Array.from({ length: features * outputMultiplier }, (_, k) => inDeg[k % features]!);
  const mask = (a: number[], b: number[], strict: boolean) =>
    tf.tensor2d(a.map((da) => b.map((db) => (strict ? db > da : db >= da) ? 1 : 0)));
  return tf.sequential({
    layers: [
      new MaskedDense({ units: hidden, mask: mask(inDeg, hidDeg, false), activation: 'relu' }),
      new MaskedDense({ units: hidden, mask: mask(hidDeg, hidDeg, false), activation: 'relu' }),
      new MaskedDense({ units: features * outputMultiplier, mask: mask(hidDeg, outDeg, true) }),
    ],
  });
}

export class MaskedAffineAutoregressiveTransform {
  private readonly made: tf.Sequential;
  private readonly eps = 1e-3;

  constructor(private readonly features: number, hidden = 64) {
    this.made = made(features, hidden, 2);
  }

  private unconstrainedScaleAndShift(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const params = this.made.apply(x) as tf.Tensor;
    const [u, shift] = tf.split(params, 2, -1);
    return [u!, shift!];
  }

  private elementwise(x: tf.Tensor): { scale: tf.Tensor; shift: tf.Tensor } {
    const [u, shift] = this.unconstrainedScaleAndShift(x);
    const scale = tf.sigmoid(u.add(2.0)).add(this.eps);
    return { scale, shift };
  }

  forward(x: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    const { scale, shift } = this.elementwise(x);
    return [x.mul(scale).add(shift), scale.log().sum(-1)];
  }

  inverse(y: tf.Tensor2D): tf.Tensor {
    // x_i depends on x_<i only, so D passes recover x exactly.
    let x: tf.Tensor = tf.zerosLike(y);
    for (let i = 0; i < this.features; i++) {
      const { scale, shift } = this.elementwise(x);
      x = y.sub(shift).div(scale);
    }
    return x;
  }
}

export const maf = [0, 1, 2, 3, 4].map(() => new MaskedAffineAutoregressiveTransform(10, 128));
