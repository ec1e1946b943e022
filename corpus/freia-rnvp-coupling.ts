// Port of FrEIA's RNVPCouplingBlock (four subnets s1, t1, s2, t2) and ActNorm, assembled the way FrEIA's
// SequenceINN does it: a plain container that calls each module forward, or backwards for the inverse.
import * as tf from '@tensorflow/tfjs';

function mlp(width: number, out: number, activation: 'relu' | 'tanh' = 'relu'): tf.Sequential {
  const net = tf.sequential();
  net.add(tf.layers.dense({ units: 256, activation, inputShape: [width] }));
  net.add(tf.layers.dense({ units: 256, activation }));
  net.add(tf.layers.dense({ units: out }));
  return net;
}

class ActNorm {
  logScale: tf.Variable;
  bias: tf.Variable;
  initialized = false;

  constructor(dims: number) {
    this.logScale = tf.variable(tf.zeros([1, dims]), true, 'actnorm_log_scale');
    this.bias = tf.variable(tf.zeros([1, dims]), true, 'actnorm_bias');
  }

  // Data-dependent init: zero mean, unit std on the first batch.
  private initialize(x: tf.Tensor2D) {
    const { mean, variance } = tf.moments(x, 0, true);
    this.logScale.assign(tf.neg(tf.log(tf.add(tf.sqrt(variance), 1e-6))));
    this.bias.assign(tf.neg(tf.mul(mean, this.scale())));
    this.initialized = true;
  }

  private scale(): tf.Tensor {
    return this.logScale.exp(); // expect: unbounded-inverse-gain@hint
  }

  forward(x: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    if (!this.initialized) this.initialize(x);
    return [x.mul(this.scale()).add(this.bias), this.logScale.sum()];
  }

  inverse(y: tf.Tensor2D): tf.Tensor {
    return y.sub(this.bias).div(this.scale());
  }
}

class RNVPCouplingBlock {
  private readonly len1: number;
  private readonly len2: number;
  private readonly s1: tf.Sequential;
  private readonly t1: tf.Sequential;
  private readonly s2: tf.Sequential;
  private readonly t2: tf.Sequential;

  constructor(dims: number, private readonly clamp = 5.0) {
    this.len1 = Math.floor(dims / 2);
    this.len2 = dims - this.len1;
    this.s1 = mlp(this.len1, this.len2);
    this.t1 = mlp(this.len1, this.len2);
    this.s2 = mlp(this.len2, this.len1);
    this.t2 = mlp(this.len2, this.len1);
  }

  private logE(s: tf.Tensor): tf.Tensor {
    return tf.atan(s.div(this.clamp)).mul(this.clamp * 0.636);
  }

  forward(x: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    const [x1, x2] = tf.split(x, [this.len1, this.len2], 1);
    const a2 = this.logE(this.s2.predict(x2!) as tf.Tensor);
    const y1 = x1!.mul(a2.exp()).add(this.t2.predict(x2!) as tf.Tensor);
    const a1 = this.logE(this.s1.predict(y1) as tf.Tensor);
    const y2 = x2!.mul(a1.exp()).add(this.t1.predict(y1) as tf.Tensor);
    return [tf.concat([y1, y2], 1), a1.sum(1).add(a2.sum(1))];
  }

  inverse(y: tf.Tensor2D): tf.Tensor {
    const [y1, y2] = tf.split(y, [this.len1, this.len2], 1);
    const a1 = this.logE(this.s1.predict(y1!) as tf.Tensor);
    const x2 = y2!.sub(this.t1.predict(y1!) as tf.Tensor).mul(a1.neg().exp());
    const a2 = this.logE(this.s2.predict(x2) as tf.Tensor);
    const x1 = y1!.sub(this.t2.predict(x2) as tf.Tensor).mul(a2.neg().exp());
    return tf.concat([x1, x2], 1);
  }
}

type Module = ActNorm | RNVPCouplingBlock;

export class SequenceINN {
  private readonly modules: Module[] = [];
  constructor(private readonly dims: number) {}

  append(kind: 'actnorm' | 'rnvp', clamp?: number): this {
    this.modules.push(kind === 'actnorm' ? new ActNorm(this.dims) : new RNVPCouplingBlock(this.dims, clamp));
    return this;
  }

  forward(x: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    let logJac: tf.Tensor = tf.zeros([x.shape[0]]);
    let z: tf.Tensor = x;
    for (const m of this.modules) {
      const [out, j] = m.forward(z as tf.Tensor2D);
      z = out;
      logJac = logJac.add(j);
    }
    return [z, logJac];
  }

  inverse(z: tf.Tensor2D): tf.Tensor {
    return this.modules.reduceRight<tf.Tensor>((y, m) => m.inverse(y as tf.Tensor2D), z);
  }
}

export const inn = new SequenceINN(6).append('actnorm').append('rnvp', 1.9).append('actnorm').append('rnvp', 1.9);

export function nll(x: tf.Tensor2D): tf.Scalar {
  const [z, logJac] = inn.forward(x);
  return tf.mean(tf.sub(tf.mul(0.5, tf.sum(tf.square(z), 1)), logJac)) as tf.Scalar;
}
