// Glow (Kingma & Dhariwal 2018) for 32x32 RGB images, multi-scale architecture written by hand: per level a
// squeeze (space-to-depth), STEPS steps [ActNorm, fixed channel shuffle, affine coupling with scale
// sigmoid(h + 2) + 1e-4], then half of the channels split off as a latent scored under N(0, I).
import * as tf from '@tensorflow/tfjs';

const [LEVELS, STEPS, HIDDEN] = [3, 8, 256];

function squeeze(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const t = tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]);
  return tf.reshape(tf.transpose(t, [0, 1, 3, 2, 4, 5]), [n, h / 2, w / 2, 4 * c]);
}

function unsqueeze(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const t = tf.reshape(x, [n, h, w, 2, 2, c / 4]);
  return tf.reshape(tf.transpose(t, [0, 1, 3, 2, 4, 5]), [n, 2 * h, 2 * w, c / 4]);
}

class ActNorm2d {
  private bias?: tf.Variable;
  private logs?: tf.Variable;
  private initialise(x: tf.Tensor4D) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    this.bias = tf.variable(tf.neg(mean));
    this.logs = tf.variable(tf.neg(tf.log(tf.add(tf.sqrt(variance), 1e-6))));
  }
  private scale() {
    return tf.exp(this.logs!); // expect: unbounded-inverse-gain@hint
  }
  forward(x: tf.Tensor4D) {
    if (!this.bias) this.initialise(x);
    const [, h, w] = x.shape;
    return { y: tf.mul(tf.add(x, this.bias!), this.scale()) as tf.Tensor4D, logDet: tf.mul(h * w, tf.sum(this.logs!)) };
  }
  inverse(y: tf.Tensor4D) {
    return tf.sub(tf.div(y, this.scale()), this.bias!) as tf.Tensor4D;
  }
}

class ChannelShuffle {
  private perm: tf.Tensor1D;
  private inv: tf.Tensor1D;
  constructor(channels: number) {
    const p = tf.util.createShuffledIndices(channels);
    const inv = new Int32Array(channels);
    p.forEach((v, i) => (inv[v] = i));
    this.perm = tf.tensor1d(Array.from(p), 'int32');
    this.inv = tf.tensor1d(Array.from(inv), 'int32');
  }
  forward(x: tf.Tensor4D) {
    return { y: tf.gather(x, this.perm, 3) as tf.Tensor4D, logDet: tf.scalar(0) };
  }
  inverse(y: tf.Tensor4D) {
    return tf.gather(y, this.inv, 3) as tf.Tensor4D;
  }
}

class AffineCoupling2d {
  private nn: tf.Sequential;
  constructor(size: number, channels: number) {
    this.nn = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [size, size, channels / 2], filters: HIDDEN, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.conv2d({ filters: HIDDEN, kernelSize: 1, activation: 'relu' }),
        tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same', kernelInitializer: 'zeros' }),
      ],
    });
  }
  private shiftScale(xa: tf.Tensor4D) {
    const [shift, raw] = tf.split(this.nn.apply(xa) as tf.Tensor4D, 2, 3);
    const scale = tf.add(tf.sigmoid(tf.add(raw, 2)), 1e-4);
    return { shift, scale };
  }
  forward(x: tf.Tensor4D) {
    const [xa, xb] = tf.split(x, 2, 3);
    const { shift, scale } = this.shiftScale(xa);
    const yb = tf.mul(tf.add(xb, shift), scale);
    return { y: tf.concat([xa, yb], 3) as tf.Tensor4D, logDet: tf.sum(tf.log(scale), [1, 2, 3]) };
  }
  inverse(y: tf.Tensor4D) {
    const [ya, yb] = tf.split(y, 2, 3);
    const { shift, scale } = this.shiftScale(ya);
    return tf.concat([ya, tf.sub(tf.div(yb, scale), shift)], 3) as tf.Tensor4D;
  }
}

type Step = ActNorm2d | ChannelShuffle | AffineCoupling2d;

export class Glow {
  private levels: Step[][] = [];
  constructor(imageSize = 32, channels = 3) {
    let c = channels;
    let s = imageSize;
    for (let l = 0; l < LEVELS; l++) {
      c *= 4;
      s /= 2;
      const steps: Step[] = [];
      for (let k = 0; k < STEPS; k++) steps.push(new ActNorm2d(), new ChannelShuffle(c), new AffineCoupling2d(s, c));
      this.levels.push(steps);
      if (l < LEVELS - 1) c /= 2;
    }
  }
  encode(x: tf.Tensor4D) {
    const zs: tf.Tensor4D[] = [];
    let logDet: tf.Tensor = tf.zeros([x.shape[0]]);
    let h = x;
    this.levels.forEach((steps, l) => {
      h = squeeze(h);
      for (const step of steps) {
        const r = step.forward(h);
        h = r.y;
        logDet = tf.add(logDet, r.logDet);
      }
      if (l < LEVELS - 1) {
        const [z, rest] = tf.split(h, 2, 3) as tf.Tensor4D[];
        zs.push(z);
        h = rest;
      }
    });
    zs.push(h);
    return { zs, logDet };
  }
  decode(zs: tf.Tensor4D[]): tf.Tensor4D {
    let h = zs[zs.length - 1];
    for (let l = LEVELS - 1; l >= 0; l--) {
      if (l < LEVELS - 1) h = tf.concat([zs[l], h], 3) as tf.Tensor4D;
      for (const step of [...this.levels[l]].reverse()) h = step.inverse(h);
      h = unsqueeze(h);
    }
    return h;
  }
  bitsPerDim(images: tf.Tensor4D): tf.Scalar {
    const d = images.shape[1] * images.shape[2] * images.shape[3];
    const x = tf.sub(tf.div(tf.add(images, tf.randomUniform(images.shape)), 256), 0.5) as tf.Tensor4D;
    const { zs, logDet } = this.encode(x);
    const logPz = zs.map((z) => tf.sum(tf.mul(-0.5, tf.add(tf.square(z), Math.log(2 * Math.PI))), [1, 2, 3]));
    const logPx = tf.sub(tf.add(tf.addN(logPz), logDet), d * Math.log(256));
    return tf.div(tf.neg(tf.mean(logPx)), d * Math.log(2)) as tf.Scalar;
  }
}

export function trainGlow(glow: Glow, batches: () => tf.Tensor4D, iterations = 20000) {
  const opt = tf.train.adam(1e-3);
  for (let i = 0; i < iterations; i++) {
    const x = batches();
    const bpd = opt.minimize(() => glow.bitsPerDim(x), true);
    tf.dispose([x, bpd]);
  }
}
