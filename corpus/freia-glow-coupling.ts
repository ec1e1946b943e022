// TF.js port of the structure of FrEIA's GLOWCouplingBlock (FrEIA/modules/coupling_layers.py): both halves are
// transformed in turn, y1 = e(s2(x2)) * x1 + t2(x2), y2 = e(s1(y1)) * x2 + t1(y1), one subnet per half producing
// scale and shift together. The log-scale is soft-clamped, clamp * 0.636 * atan(s / clamp), so every scale lies in
// (exp(-clamp), exp(clamp)).
import * as tf from '@tensorflow/tfjs';

type SubnetConstructor = (cIn: number, cOut: number) => tf.Sequential;

// subnet_fc from the FrEIA README: Linear -> ReLU -> Linear, last layer zero-initialised.
export function subnetFc(cIn: number, cOut: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 512, activation: 'relu', inputShape: [cIn] }),
      tf.layers.dense({ units: cOut, kernelInitializer: 'zeros' }),
    ],
  });
}

export interface GlowCouplingArgs {
  dims: number;
  subnetConstructor: SubnetConstructor;
  clamp?: number;
  inputShape?: number[];
}

export class GLOWCouplingBlock extends tf.layers.Layer {
  static className = 'GLOWCouplingBlock';
  private readonly len1: number;
  private readonly len2: number;
  private readonly clamp: number;
  private readonly s1: tf.Sequential;
  private readonly s2: tf.Sequential;

  constructor(args: GlowCouplingArgs) {
    super(args.inputShape ? { inputShape: args.inputShape } : {});
    this.len1 = Math.floor(args.dims / 2);
    this.len2 = args.dims - this.len1;
    this.clamp = args.clamp ?? 2.0;
    this.s1 = args.subnetConstructor(this.len1, this.len2 * 2);
    this.s2 = args.subnetConstructor(this.len2, this.len1 * 2);
  }

  /** log e(s): the soft clamp keeps it in (-clamp, clamp). */
  private logE(s: tf.Tensor): tf.Tensor {
    return tf.mul(this.clamp * 0.636, tf.atan(tf.div(s, this.clamp)));
  }

  private e(s: tf.Tensor): tf.Tensor {
    return tf.exp(this.logE(s));
  }

  private halves(r: tf.Tensor, n: number): [tf.Tensor, tf.Tensor] {
    const [s, t] = tf.split(r, [n, r.shape[r.shape.length - 1]! - n], -1);
    return [s!, t!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [x1, x2] = tf.split(x, [this.len1, this.len2], -1);
      const [s2, t2] = this.halves(this.s2.apply(x2!) as tf.Tensor, this.len1);
      const y1 = tf.add(tf.mul(this.e(s2), x1!), t2);
      const [s1, t1] = this.halves(this.s1.apply(y1) as tf.Tensor, this.len2);
      const y2 = tf.add(tf.mul(this.e(s1), x2!), t1);
      return tf.concat([y1, y2], -1);
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = tf.split(y, [this.len1, this.len2], -1);
      const [s1, t1] = this.halves(this.s1.apply(y1!) as tf.Tensor, this.len2);
      const x2 = tf.div(tf.sub(y2!, t1), this.e(s1));
      const [s2, t2] = this.halves(this.s2.apply(x2) as tf.Tensor, this.len1);
      const x1 = tf.div(tf.sub(y1!, t2), this.e(s2));
      return tf.concat([x1, x2], -1);
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [x1, x2] = tf.split(x, [this.len1, this.len2], -1);
      const [s2, t2] = this.halves(this.s2.apply(x2!) as tf.Tensor, this.len1);
      const y1 = tf.add(tf.mul(this.e(s2), x1!), t2);
      const [s1] = this.halves(this.s1.apply(y1) as tf.Tensor, this.len2);
      return tf.add(tf.sum(this.logE(s2), -1), tf.sum(this.logE(s1), -1));
    });
  }
}
tf.serialization.registerClass(GLOWCouplingBlock);

/** FrEIA's PermuteRandom: a fixed permutation of the features, seeded. */
export class PermuteRandom extends tf.layers.Layer {
  static className = 'PermuteRandom';
  private readonly perm: number[];
  private readonly permInv: number[];

  constructor(args: { dims: number; seed: number }) {
    super({});
    let state = args.seed + 1;
    const rand = () => ((state = (state * 16807) % 2147483647) - 1) / 2147483646;
    this.perm = Array.from({ length: args.dims }, (_, i) => i).sort(() => rand() - 0.5);
    this.permInv = this.perm.map((_, i) => this.perm.indexOf(i));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.gather(x, this.perm, -1);
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.gather(y, this.permInv, -1);
  }
}
tf.serialization.registerClass(PermuteRandom);

// The 2-D toy INN of FrEIA's examples: eight coupling blocks, each followed by a random permutation.
export function buildToyInn(dims = 2, blocks = 8): tf.Sequential {
  const inn = tf.sequential();
  for (let k = 0; k < blocks; k++) {
    inn.add(new GLOWCouplingBlock({ dims, subnetConstructor: subnetFc, clamp: 2.0, ...(k === 0 ? { inputShape: [dims] } : {}) }));
    inn.add(new PermuteRandom({ dims, seed: k }));
  }
  return inn;
}
