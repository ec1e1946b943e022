// Glow's affine coupling, as openai/glow writes it: h = NN(z1), shift = h[..., 0::2],
// scale = sigmoid(h[..., 1::2] + 2), z2 = (z2 + shift) * scale. NN is conv3x3-relu, conv1x1-relu and a
// zero-initialised conv whose output is multiplied by exp(3 * logs) ("Conv2dZeros").
import * as tf from '@tensorflow/tfjs';

class Conv2dZeros extends tf.layers.Layer {
  static className = 'Conv2dZeros';
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private logs!: tf.LayerVariable;

  constructor(private readonly filters: number) {
    super({});
  }

  override build(inputShape: tf.Shape | tf.Shape[]) {
    const cin = (inputShape as tf.Shape)[3]!;
    this.kernel = this.addWeight('kernel', [3, 3, cin, this.filters], 'float32', tf.initializers.zeros());
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.logs = this.addWeight('logs', [1, 1, 1, this.filters], 'float32', tf.initializers.zeros());
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
    return tf.tidy(() => {
      const y = tf.add(tf.conv2d(x, this.kernel.read() as tf.Tensor4D, 1, 'same'), this.bias.read());
      return tf.mul(y, tf.exp(tf.mul(this.logs.read(), 3)));
    });
  }

  override computeOutputShape(s: tf.Shape): tf.Shape {
    return [s[0]!, s[1]!, s[2]!, this.filters];
  }
}
tf.serialization.registerClass(Conv2dZeros);

export class AffineCoupling extends tf.layers.Layer {
  static className = 'GlowAffineCoupling';
  private readonly nn: tf.Sequential;

  constructor(channels: number, width = 512) {
    super({});
    this.nn = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: width, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [null, null, channels / 2] as unknown as number[] }),
        tf.layers.conv2d({ filters: width, kernelSize: 1, padding: 'same', activation: 'relu' }),
        new Conv2dZeros(channels),
      ],
    });
  }

  /** Both directions take shift and scale from here; the channel halves stand in for glow's 0::2 / 1::2. */
  private shiftAndScale(z1: tf.Tensor): { shift: tf.Tensor; scale: tf.Tensor } {
    const h = this.nn.apply(z1) as tf.Tensor;
    const [shift, raw] = tf.split(h, 2, -1);
    const scale = tf.sigmoid(tf.add(raw!, 2.0)); // expect: unbounded-coupling-scale@warning
    return { shift: shift!, scale };
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const z = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => {
      const [z1, z2] = tf.split(z, 2, -1);
      const { shift, scale } = this.shiftAndScale(z1!);
      return tf.concat([z1!, tf.mul(tf.add(z2!, shift), scale)], -1);
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [z1, z2] = tf.split(y, 2, -1);
      const { shift, scale } = this.shiftAndScale(z1!);
      return tf.concat([z1!, tf.sub(tf.div(z2!, scale), shift)], -1);
    });
  }

  logDet(z: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [z1] = tf.split(z, 2, -1);
      return tf.sum(tf.log(this.shiftAndScale(z1!).scale), [1, 2, 3]);
    });
  }
}
tf.serialization.registerClass(AffineCoupling);
