// Conditional RealNVP for trajectory prediction: p(future | past) with the 12-dim future offsets as the flow
// variable and a context vector from an encoder of the past track. Each coupling's conditioner sees
// [x_a, context]; the log-scale gets a one-sided clamp from above. RealNVP's batch-norm bijector sits between
// couplings, inverted by hand from its moving statistics.
import * as tf from '@tensorflow/tfjs';

const X_DIM = 12;
const CTX_DIM = 32;
const HALF = X_DIM / 2;

function contextEncoder(pastLen: number): tf.LayersModel {
  const past = tf.input({ shape: [pastLen, 2] });
  const h = tf.layers.gru({ units: 64 }).apply(past) as tf.SymbolicTensor;
  const ctx = tf.layers.dense({ units: CTX_DIM, activation: 'tanh' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: past, outputs: ctx });
}

class ConditionalCoupling {
  private net: tf.LayersModel;
  constructor(private parity: 0 | 1, hidden = 128) {
    const xa = tf.input({ shape: [HALF] });
    const ctx = tf.input({ shape: [CTX_DIM] });
    let h = tf.layers.concatenate().apply([xa, ctx]) as tf.SymbolicTensor;
    h = tf.layers.dense({ units: hidden, activation: 'relu' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.dense({ units: hidden, activation: 'relu' }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2 * HALF, kernelInitializer: 'zeros' }).apply(h) as tf.SymbolicTensor;
    this.net = tf.model({ inputs: [xa, ctx], outputs: out });
  }
  private parts(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const [a, b] = tf.split(x, 2, 1);
    return this.parity === 0 ? [a, b] : [b, a];
  }
  private merge(a: tf.Tensor, b: tf.Tensor) {
    return this.parity === 0 ? tf.concat([a, b], 1) : tf.concat([b, a], 1);
  }
  private scaleShift(xa: tf.Tensor, ctx: tf.Tensor) {
    const st = this.net.apply([xa, ctx]) as tf.Tensor;
    const logScale = st.slice([0, 0], [-1, HALF]);
    const shift = st.slice([0, HALF], [-1, HALF]);
    const scale = tf.exp(tf.minimum(logScale, 3)); // expect: unbounded-coupling-scale@warning
    return { scale, shift };
  }
  forward(x: tf.Tensor, ctx: tf.Tensor) {
    const [xa, xb] = this.parts(x);
    const { scale, shift } = this.scaleShift(xa, ctx);
    return { y: this.merge(xa, tf.add(tf.mul(xb, scale), shift)), logDet: tf.sum(tf.log(scale), 1) };
  }
  inverse(y: tf.Tensor, ctx: tf.Tensor) {
    const [ya, yb] = this.parts(y);
    const { scale, shift } = this.scaleShift(ya, ctx);
    return this.merge(ya, tf.div(tf.sub(yb, shift), scale));
  }
}

/** Batch norm as a bijection (Dinh et al. 2017, sec. 3.7): inverted with the moving statistics. */
class BatchNormBijector {
  private bn = tf.layers.batchNormalization({ axis: -1, momentum: 0.95, epsilon: 1e-4 }); // expect: batchnorm-in-invertible@error
  forward(x: tf.Tensor, training: boolean) {
    const y = this.bn.apply(x, { training }) as tf.Tensor;
    const [gamma, , , movingVar] = this.bn.getWeights();
    const logDet = tf.sum(tf.sub(tf.log(tf.abs(gamma)), tf.mul(0.5, tf.log(tf.add(movingVar, 1e-4)))));
    return { y, logDet };
  }
  inverse(y: tf.Tensor) {
    const [gamma, beta, movingMean, movingVar] = this.bn.getWeights();
    return tf.add(tf.mul(tf.div(tf.sub(y, beta), gamma), tf.sqrt(tf.add(movingVar, 1e-4))), movingMean);
  }
}

export class ConditionalRealNVP {
  encoder = contextEncoder(8);
  couplings = Array.from({ length: 6 }, (_, i) => new ConditionalCoupling((i % 2) as 0 | 1));
  norms = Array.from({ length: 5 }, () => new BatchNormBijector());

  logProb(future: tf.Tensor, past: tf.Tensor, training = true): tf.Tensor {
    const ctx = this.encoder.apply(past) as tf.Tensor;
    let z = future;
    let logDet: tf.Tensor = tf.zeros([future.shape[0]]);
    this.couplings.forEach((c, i) => {
      const r = c.forward(z, ctx);
      z = r.y;
      logDet = tf.add(logDet, r.logDet);
      if (i < this.norms.length) {
        const n = this.norms[i].forward(z, training);
        z = n.y;
        logDet = tf.add(logDet, n.logDet);
      }
    });
    const base = tf.mul(-0.5, tf.sum(tf.add(tf.square(z), Math.log(2 * Math.PI)), 1));
    return tf.add(base, logDet);
  }

  sample(past: tf.Tensor, k: number): tf.Tensor {
    const ctx = tf.tile(this.encoder.apply(past) as tf.Tensor, [k, 1]);
    let x = tf.randomNormal([ctx.shape[0], X_DIM]);
    for (let i = this.couplings.length - 1; i >= 0; i--) {
      if (i < this.norms.length) x = this.norms[i].inverse(x);
      x = this.couplings[i].inverse(x, ctx);
    }
    return x;
  }
}

export async function train(model: ConditionalRealNVP, futures: tf.Tensor2D, pasts: tf.Tensor3D, epochs = 50) {
  const opt = tf.train.adam(1e-3);
  const n = futures.shape[0];
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i + 128 <= n; i += 128) {
      const f = futures.slice([i, 0], [128, -1]);
      const p = pasts.slice([i, 0, 0], [128, -1, -1]);
      opt.minimize(() => tf.neg(tf.mean(model.logProb(f, p))) as tf.Scalar);
      tf.dispose([f, p]);
    }
    await tf.nextFrame();
  }
}
