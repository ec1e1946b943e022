// Glow for 32x32 images: L levels of squeeze + K steps (actnorm, 1x1 conv, affine coupling). The multi-scale
// split prior is left out; every level keeps all channels. The ops live in ./ops.ts and ./coupling.ts.
import * as tf from '@tensorflow/tfjs';
import { AffineCoupling } from './coupling';
import { ActNorm, Invertible1x1Conv, squeeze2d, unsqueeze2d } from './ops';

type Step = { actnorm: ActNorm; conv: Invertible1x1Conv; coupling: AffineCoupling };

export class Glow {
  private readonly levels: Step[][] = [];

  constructor(private readonly channels = 3, private readonly depth = 8, private readonly nLevels = 3) {
    let c = channels;
    for (let l = 0; l < nLevels; l++) {
      c *= 4;
      const steps: Step[] = [];
      for (let k = 0; k < depth; k++) {
        steps.push({ actnorm: new ActNorm({}), conv: new Invertible1x1Conv({}), coupling: new AffineCoupling(c) });
      }
      this.levels.push(steps);
    }
  }

  forward(x: tf.Tensor4D): { z: tf.Tensor4D; logdet: tf.Tensor } {
    let z = x;
    let logdet: tf.Tensor = tf.zeros([x.shape[0]]);
    for (const steps of this.levels) {
      z = squeeze2d(z);
      for (const s of steps) {
        logdet = tf.add(logdet, s.actnorm.logDet(z));
        z = s.actnorm.apply(z) as tf.Tensor4D;
        z = s.conv.apply(z) as tf.Tensor4D;
        logdet = tf.add(logdet, s.coupling.logDet(z));
        z = s.coupling.apply(z) as tf.Tensor4D;
      }
    }
    return { z, logdet };
  }

  inverse(z: tf.Tensor4D): tf.Tensor4D {
    let x = z;
    for (let l = this.levels.length - 1; l >= 0; l--) {
      for (const s of [...this.levels[l]!].reverse()) {
        x = s.coupling.inverse(x) as tf.Tensor4D;
        x = s.conv.inverse(x) as tf.Tensor4D;
        x = s.actnorm.inverse(x) as tf.Tensor4D;
      }
      x = unsqueeze2d(x);
    }
    return x;
  }
}

/** Bits per dimension with uniform dequantisation of 8-bit pixels scaled to [-0.5, 0.5]. */
export function bitsPerDim(glow: Glow, images: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [, h, w, c] = images.shape;
    const nDims = h * w * c;
    const x = tf.add(images, tf.randomUniform(images.shape, 0, 1 / 256));
    const { z, logdet } = glow.forward(x as tf.Tensor4D);
    const logpz = tf.mul(-0.5, tf.sum(tf.add(tf.square(z), Math.log(2 * Math.PI)), [1, 2, 3]));
    const ll = tf.add(tf.add(logpz, logdet), -Math.log(256) * nDims);
    return tf.div(tf.neg(tf.mean(ll)), Math.log(2) * nDims) as tf.Scalar;
  });
}

export const glow = new Glow(3, 16, 3);
