// Image RealNVP after Dinh, Sohl-Dickstein & Bengio (2017): checkerboard-masked affine couplings with a small conv
// net, batch normalisation on the flow's main path as in the paper, and log-scales clipped to [-5, 5] before the
// exp (a common stabilisation in ports). Between the two scales this experiment downsampled with average pooling
// instead of a squeeze, to save memory.
import * as tf from '@tensorflow/tfjs';

function checkerboard(h: number, w: number, c: number, flip: boolean): tf.Tensor4D {
  const m = Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => Array(c).fill(((i + j) % 2 === 0) !== flip ? 1 : 0)));
  return tf.tensor4d([m]);
}

interface CouplingArgs {
  height: number;
  width: number;
  channels: number;
  flip: boolean;
  filters?: number;
  inputShape?: number[];
}

export class CheckerboardCoupling extends tf.layers.Layer {
  static className = 'CheckerboardCoupling';
  private readonly mask: tf.Tensor4D;
  private readonly net: tf.Sequential;

  constructor(args: CouplingArgs) {
    super(args.inputShape ? { inputShape: args.inputShape } : {});
    this.mask = checkerboard(args.height, args.width, args.channels, args.flip);
    const filters = args.filters ?? 64;
    this.net = tf.sequential();
    this.net.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [args.height, args.width, args.channels] }));
    this.net.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }));
    this.net.add(tf.layers.conv2d({ filters: 2 * args.channels, kernelSize: 3, padding: 'same', kernelInitializer: 'zeros' }));
  }

  private logScaleAndShift(xMasked: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const [sRaw, t] = tf.split(this.net.apply(xMasked) as tf.Tensor, 2, -1);
    const inv = tf.sub(1, this.mask);
    return [tf.mul(tf.clipByValue(sRaw!, -5, 5), inv), tf.mul(t!, inv)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => {
      const xm = tf.mul(x, this.mask);
      const [s, t] = this.logScaleAndShift(xm);
      return tf.add(xm, tf.add(tf.mul(tf.mul(x, tf.sub(1, this.mask)), tf.exp(s)), t));
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const ym = tf.mul(y, this.mask);
      const [s, t] = this.logScaleAndShift(ym);
      return tf.add(ym, tf.mul(tf.sub(tf.mul(y, tf.sub(1, this.mask)), t), tf.exp(tf.neg(s))));
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.sum(this.logScaleAndShift(tf.mul(x, this.mask))[0], [1, 2, 3]));
  }
}
tf.serialization.registerClass(CheckerboardCoupling);

export function buildRealNvp(size = 32, channels = 3): tf.Sequential {
  const flow = tf.sequential();
  let h = size;
  for (let scale = 0; scale < 2; scale++) {
    for (let k = 0; k < 3; k++) {
      const first = scale === 0 && k === 0;
      flow.add(new CheckerboardCoupling({ height: h, width: h, channels, flip: k % 2 === 1, ...(first ? { inputShape: [h, h, channels] } : {}) }));
      flow.add(tf.layers.batchNormalization({ axis: -1, momentum: 0.99 })); // expect: batchnorm-in-invertible@error
    }
    if (scale === 0) {
      flow.add(tf.layers.averagePooling2d({ poolSize: 2 })); // expect: non-invertible-op-in-flow@error
      h /= 2;
    }
  }
  return flow;
}

export const realNvp = buildRealNvp();
