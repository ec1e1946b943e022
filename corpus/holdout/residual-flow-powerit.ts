// Residual Flow (Chen et al. 2019) conv blocks on 16x16x4 feature maps: y = x + g(x) with g =
// conv3x3 -> LipSwish -> conv1x1 -> LipSwish -> conv3x3. The spectral norm of each conv *operator* is
// estimated by power iteration through conv2d / conv2dTranspose (a hand-written constraint, as in the
// paper's code) and the kernel is divided by max(1, sigma / coeff). Inverse by fixed-point iteration.
import * as tf from '@tensorflow/tfjs';

const SIZE = 16;
const CHANNELS = 4;
const HIDDEN = 64;

/** Divides a conv kernel so that the conv operator on [SIZE, SIZE, inChannels] inputs has norm <= coeff. */
class InducedSpectralNorm extends tf.constraints.Constraint {
  static className = 'InducedSpectralNorm';
  private u: tf.Tensor4D | null = null;
  constructor(private readonly args: { coeff: number; inChannels: number; iterations?: number }) {
    super();
  }
  apply(kernel: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const w = kernel as tf.Tensor4D;
      const shape: [number, number, number, number] = [1, SIZE, SIZE, this.args.inChannels];
      const normalise = (t: tf.Tensor4D) => tf.div(t, tf.add(tf.norm(t), 1e-12)) as tf.Tensor4D;
      let u = this.u ?? normalise(tf.randomNormal(shape));
      let v = normalise(tf.conv2d(u, w, 1, 'same'));
      for (let i = 0; i < (this.args.iterations ?? 5); i++) {
        u = normalise(tf.conv2dTranspose(v, w, shape, 1, 'same'));
        v = normalise(tf.conv2d(u, w, 1, 'same'));
      }
      const sigma = tf.sum(tf.mul(v, tf.conv2d(u, w, 1, 'same')));
      this.u?.dispose();
      this.u = tf.keep(u);
      return tf.div(w, tf.maximum(1, tf.div(sigma, this.args.coeff)));
    });
  }
  getConfig() {
    return { coeff: this.args.coeff, inChannels: this.args.inChannels };
  }
}
tf.serialization.registerClass(InducedSpectralNorm);

const lipSwish = (x: tf.Tensor) => tf.div(tf.mul(x, tf.sigmoid(x)), 1.1);

class ResidualFlowBlock extends tf.layers.Layer {
  static className = 'ResidualFlowBlock';
  private conv1 = tf.layers.conv2d({ filters: HIDDEN, kernelSize: 3, padding: 'same', kernelConstraint: new InducedSpectralNorm({ coeff: 0.9, inChannels: CHANNELS }) });
  private conv2 = tf.layers.conv2d({ filters: HIDDEN, kernelSize: 1, kernelConstraint: new InducedSpectralNorm({ coeff: 0.9, inChannels: HIDDEN }) });
  private conv3 = tf.layers.conv2d({ filters: CHANNELS, kernelSize: 3, padding: 'same' }); // expect: missing-lipschitz-constraint@error

  build(inputShape: tf.Shape) {
    this.conv1.build(inputShape);
    this.conv2.build([null, SIZE, SIZE, HIDDEN]);
    this.conv3.build([null, SIZE, SIZE, HIDDEN]);
    this.trainableWeights = [...this.conv1.trainableWeights, ...this.conv2.trainableWeights, ...this.conv3.trainableWeights];
    this.built = true;
  }
  g(x: tf.Tensor): tf.Tensor {
    const h1 = lipSwish(this.conv1.apply(x) as tf.Tensor);
    const h2 = lipSwish(this.conv2.apply(h1) as tf.Tensor);
    return this.conv3.apply(h2) as tf.Tensor;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.add(x, this.g(x));
  }
  inverse(y: tf.Tensor, maxIters = 100, tol = 1e-6): tf.Tensor {
    let x = y;
    for (let i = 0; i < maxIters; i++) {
      const next = tf.sub(y, this.g(x));
      const diff = tf.max(tf.abs(tf.sub(next, x))).dataSync()[0];
      x = next;
      if (diff < tol) break;
    }
    return x;
  }
  /** Hutchinson estimate of log det(I + J_g), truncated power series (n terms). */
  logDet(x: tf.Tensor, n = 8): tf.Tensor {
    const eps = tf.randomNormal(x.shape);
    let w = eps;
    let total: tf.Tensor = tf.zeros([x.shape[0]]);
    for (let k = 1; k <= n; k++) {
      w = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(this.g(xi), w)))(x);
      total = tf.add(total, tf.mul(((-1) ** (k + 1)) / k, tf.sum(tf.mul(w, eps), [1, 2, 3])));
    }
    return total;
  }
}
tf.serialization.registerClass(ResidualFlowBlock);

export class ResidualFlow {
  blocks = Array.from({ length: 6 }, () => new ResidualFlowBlock({}));
  forward(x: tf.Tensor) {
    let logDet: tf.Tensor = tf.zeros([x.shape[0]]);
    for (const b of this.blocks) {
      logDet = tf.add(logDet, b.logDet(x));
      x = b.apply(x) as tf.Tensor;
    }
    return { z: x, logDet };
  }
  inverse(z: tf.Tensor) {
    return this.blocks.reduceRight((y, b) => b.inverse(y), z);
  }
}

export function trainStep(flow: ResidualFlow, opt: tf.Optimizer, x: tf.Tensor4D) {
  const loss = opt.minimize(() => {
    const { z, logDet } = flow.forward(x);
    const logPz = tf.sum(tf.mul(-0.5, tf.add(tf.square(z), Math.log(2 * Math.PI))), [1, 2, 3]);
    return tf.neg(tf.mean(tf.add(logPz, logDet))) as tf.Scalar;
  }, true);
  // constraints only run when weights are written: project after every step
  for (const b of flow.blocks) for (const conv of [b['conv1'], b['conv2']]) conv.setWeights([conv.kernelConstraint!.apply(conv.getWeights()[0]), conv.getWeights()[1]]);
  return loss;
}
