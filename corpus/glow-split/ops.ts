// Glow's invertible per-step ops (Kingma & Dhariwal 2018, openai/glow model.py), ported to TF.js layers:
// ActNorm with data-dependent init and logscale_factor 3, the invertible 1x1 convolution with a rotation init,
// and squeeze2d. Each has inverse() and logDet().
import * as tf from '@tensorflow/tfjs';

const LOGSCALE_FACTOR = 3.0;

export class ActNorm extends tf.layers.Layer {
  static className = 'GlowActNorm';
  private bias!: tf.LayerVariable;
  private logs!: tf.LayerVariable;
  private initialized = false;

  override build(inputShape: tf.Shape | tf.Shape[]) {
    const c = (inputShape as tf.Shape)[3]!;
    this.bias = this.addWeight('bias', [1, 1, 1, c], 'float32', tf.initializers.zeros());
    this.logs = this.addWeight('logs', [1, 1, 1, c], 'float32', tf.initializers.zeros());
  }

  /** First batch: bias = -mean, logs = log(1 / (std + 1e-6)) / LOGSCALE_FACTOR. */
  initialize(x: tf.Tensor4D) {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2], true);
      this.bias.write(tf.neg(mean));
      this.logs.write(tf.div(tf.log(tf.div(1, tf.add(tf.sqrt(variance), 1e-6))), LOGSCALE_FACTOR));
    });
    this.initialized = true;
  }

  private scale(): tf.Tensor {
    return tf.exp(tf.mul(this.logs.read(), LOGSCALE_FACTOR)); // expect: unbounded-inverse-gain@hint
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
    if (!this.initialized) this.initialize(x);
    return tf.tidy(() => tf.mul(tf.add(x, this.bias.read()), this.scale()));
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.sub(tf.div(y, this.scale()), this.bias.read()));
  }

  logDet(x: tf.Tensor4D): tf.Scalar {
    const [, h, w] = x.shape;
    return tf.tidy(() => tf.mul(tf.sum(tf.mul(this.logs.read(), LOGSCALE_FACTOR)), h * w) as tf.Scalar);
  }
}
tf.serialization.registerClass(ActNorm);

/** Gauss-Jordan on a small c x c matrix (c is the channel count, 6 to 48 here). */
function invertMatrix(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    a[col] = a[col]!.map((v) => v / p);
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      a[r] = a[r]!.map((v, j) => v - f * a[col]![j]!);
    }
  }
  return a.map((row) => row.slice(n));
}

export class Invertible1x1Conv extends tf.layers.Layer {
  static className = 'Invertible1x1Conv';
  private w!: tf.LayerVariable;

  override build(inputShape: tf.Shape | tf.Shape[]) {
    const c = (inputShape as tf.Shape)[3]!;
    this.w = this.addWeight('W', [c, c], 'float32', tf.initializers.orthogonal({ gain: 1 }));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
    const c = x.shape[3];
    return tf.conv2d(x, this.w.read().reshape([1, 1, c, c]) as tf.Tensor4D, 1, 'same');
  }

  inverse(y: tf.Tensor4D): tf.Tensor {
    const c = y.shape[3];
    const wInv = tf.tensor2d(invertMatrix(this.w.read().arraySync() as number[][]));
    return tf.conv2d(y, wInv.reshape([1, 1, c, c]) as tf.Tensor4D, 1, 'same');
  }
}
tf.serialization.registerClass(Invertible1x1Conv);

/** squeeze2d: [h, w, c] -> [h/2, w/2, 4c], a pure rearrangement. */
export function squeeze2d(x: tf.Tensor4D, factor = 2): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const t = x.reshape([b, h / factor, factor, w / factor, factor, c]).transpose([0, 1, 3, 5, 2, 4]);
  return t.reshape([b, h / factor, w / factor, c * factor * factor]);
}

export function unsqueeze2d(x: tf.Tensor4D, factor = 2): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const t = x.reshape([b, h, w, c / (factor * factor), factor, factor]).transpose([0, 1, 4, 2, 5, 3]);
  return t.reshape([b, h * factor, w * factor, c / (factor * factor)]);
}
