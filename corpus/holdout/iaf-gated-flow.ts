// Inverse autoregressive flow (Kingma et al. 2016) with the LSTM-style gated update of the paper:
//   [m, s] = MADE(z),  sigma = sigmoid(s),  z' = sigma * z + (1 - sigma) * m,  log|det| = sum(log sigma).
// Trained by reverse KL against an unnormalised 2-D target density; inverse() (one MADE pass per dimension)
// evaluates log q at given points.
import * as tf from '@tensorflow/tfjs';

const DIM = 2;

/** Dense layer whose kernel is multiplied by a fixed 0/1 mask (MADE, Germain et al. 2015). */
class MaskedDense extends tf.layers.Layer {
  static className = 'MaskedDense';
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  constructor(private units: number, private mask: tf.Tensor2D, private activationName: 'relu' | 'linear') {
    super({});
  }
  build(inputShape: tf.Shape) {
    this.kernel = this.addWeight('kernel', [inputShape[1] as number, this.units], 'float32', tf.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
  }
  computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0], this.units];
  }
  call(inputs: tf.Tensor | tf.Tensor[]) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const h = tf.add(tf.matMul(x, tf.mul(this.kernel.read(), this.mask)), this.bias.read());
    return this.activationName === 'relu' ? tf.relu(h) : h;
  }
}
tf.serialization.registerClass(MaskedDense);

function madeMasks(dim: number, hidden: number, reversed: boolean) {
  const order = Array.from({ length: dim }, (_, i) => (reversed ? dim - i : i + 1));
  const hiddenDeg = Array.from({ length: hidden }, (_, j) => (j % (dim - 1)) + 1);
  const inMask = order.map((d) => hiddenDeg.map((k) => (k >= d ? 1 : 0)));
  const outDeg = [...order, ...order];
  const outMask = hiddenDeg.map((k) => outDeg.map((d) => (d > k ? 1 : 0)));
  return { inMask: tf.tensor2d(inMask), outMask: tf.tensor2d(outMask), order };
}

class GatedIAFStep {
  private made: tf.Sequential;
  readonly order: number[];
  constructor(hidden: number, reversed: boolean) {
    const { inMask, outMask, order } = madeMasks(DIM, hidden, reversed);
    this.order = order;
    this.made = tf.sequential({
      layers: [new MaskedDense(hidden, inMask, 'relu'), new MaskedDense(2 * DIM, outMask, 'linear')],
    });
    this.made.build([null, DIM]);
  }
  private gate(z: tf.Tensor) {
    const [m, s] = tf.split(this.made.apply(z) as tf.Tensor, 2, -1);
    const sigma = tf.sigmoid(s); // expect: unbounded-coupling-scale@warning
    return { m, sigma };
  }
  forward(z: tf.Tensor) {
    const { m, sigma } = this.gate(z);
    const out = tf.add(tf.mul(sigma, z), tf.mul(tf.sub(1, sigma), m));
    return { out, logDet: tf.sum(tf.log(sigma), -1) };
  }
  inverse(y: tf.Tensor) {
    // z_i depends on z_<i only through m_i and sigma_i: DIM sequential passes
    let z = tf.zerosLike(y);
    for (let i = 0; i < DIM; i++) {
      const { m, sigma } = this.gate(z);
      z = tf.div(tf.sub(y, tf.mul(tf.sub(1, sigma), m)), sigma);
    }
    const { sigma } = this.gate(z);
    return { out: z, logDet: tf.neg(tf.sum(tf.log(sigma), -1)) };
  }
}

export class IAF {
  readonly steps: GatedIAFStep[];
  constructor(numSteps = 4, hidden = 64) {
    this.steps = Array.from({ length: numSteps }, (_, i) => new GatedIAFStep(hidden, i % 2 === 1));
  }
  sampleWithLogQ(n: number) {
    let z = tf.randomNormal([n, DIM]);
    let logq = tf.mul(-0.5, tf.sum(tf.add(tf.mul(z, z), Math.log(2 * Math.PI)), -1));
    for (const step of this.steps) {
      const { out, logDet } = step.forward(z);
      z = out;
      logq = tf.sub(logq, logDet);
    }
    return { z, logq };
  }
  logQ(x: tf.Tensor) {
    let z = x;
    let logDet = tf.zeros([x.shape[0]]);
    for (const step of [...this.steps].reverse()) {
      const r = step.inverse(z);
      z = r.out;
      logDet = tf.add(logDet, r.logDet);
    }
    return tf.add(tf.mul(-0.5, tf.sum(tf.add(tf.mul(z, z), Math.log(2 * Math.PI)), -1)), logDet);
  }
}

/** Unnormalised log density of a banana-shaped target. */
function logTarget(z: tf.Tensor): tf.Tensor {
  const [z1, z2] = tf.unstack(z, 1);
  const a = tf.div(tf.square(z1), 2);
  const b = tf.div(tf.square(tf.sub(z2, tf.square(z1))), 0.5);
  return tf.neg(tf.add(a, b));
}

export function trainIAF(iaf: IAF, iterations = 3000) {
  const opt = tf.train.adam(1e-3);
  for (let t = 0; t < iterations; t++) {
    const loss = opt.minimize(() => {
      const { z, logq } = iaf.sampleWithLogQ(256);
      return tf.mean(tf.sub(logq, logTarget(z))) as tf.Scalar;
    }, true);
    if (t % 250 === 0) console.log(`iter ${t}: KL + const ${loss?.dataSync()[0].toFixed(4)}`);
    loss?.dispose();
  }
}
