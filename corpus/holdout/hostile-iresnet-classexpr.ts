// An i-ResNet (Behrmann et al. 2019) density model for 4-D data in a terse style: the block is a class
// expression assigned to a const, activations are picked from a table with computed keys, configs are merged
// with Object.assign, optional chaining everywhere, and the model is built in Promise.all(...).then(...).
// Each branch is two spectrally normalised dense layers with coefficient COEFF: Lip(g) <= COEFF^2.
import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';

const { layers: L } = tf;
const COEFF = 0.99;
const ACT = { SMOOTH: 'smooth', SHARP: 'sharp' } as const;
const activations = { [ACT.SMOOTH]: 'elu', [ACT.SHARP]: 'relu' } as const;

type BlockConfig = { hidden?: number; act?: keyof typeof activations; name?: string };

const IResBlock = class extends tf.layers.Layer {
  static className = 'IResBlock';
  readonly d1: tf.layers.Layer;
  readonly d2: tf.layers.Layer;
  constructor(dim: number, cfg?: BlockConfig) {
    super(Object.assign({ name: `iresblock_${Math.random().toString(36).slice(2, 6)}` }, cfg?.name ? { name: cfg.name } : {}));
    const activation = activations[cfg?.act ?? ACT.SMOOTH];
    this.d1 = L.dense({ units: cfg?.hidden ?? 64, activation, kernelConstraint: spectralNorm({ coeff: COEFF }) }); // expect: residual-coefficient-too-large@warning
    this.d2 = L.dense({ units: dim, kernelConstraint: spectralNorm({ coeff: COEFF }) }); // expect: residual-coefficient-too-large@warning
  }
  branch(x: tf.Tensor): tf.Tensor {
    return this.d2.apply(this.d1.apply(x)) as tf.Tensor;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.add(x, this.branch(x));
  }
  /** Fixed point x = y - g(x); contraction factor Lip(g). */
  inverse(y: tf.Tensor, iters = 200): tf.Tensor {
    return Array.from({ length: iters }).reduce<tf.Tensor>((x) => tf.sub(y, this.branch(x)), y);
  }
  /** Exact log|det(I + J_g)| for small dim, by autodiff of each output coordinate. */
  logDet(x: tf.Tensor): tf.Tensor {
    const dim = x.shape[1] as number;
    const rows = Array.from({ length: dim }, (_, i) =>
      tf.grad((xi: tf.Tensor) => tf.sum(this.call(xi).slice([0, i], [-1, 1])))(x),
    );
    const jac = tf.stack(rows, 1); // [n, dim, dim]
    const [q, r] = tf.linalg.qr(jac as tf.Tensor3D);
    q.dispose();
    return tf.sum(tf.log(tf.abs(tf.linalg.bandPart(r, 0, 0).sum(-1))), -1);
  }
};

export type IResBlockT = InstanceType<typeof IResBlock>;

export const modelReady = Promise.all([tf.ready(), import('./data-stats').catch(() => ({ dim: 4 }))]).then(([, stats]) => {
  const dim = (stats as { dim?: number })?.dim ?? 4;
  const blocks: IResBlockT[] = [0, 1, 2, 3].map((i) => new IResBlock(dim, Object.assign({ hidden: 64 }, i % 2 ? { act: ACT.SMOOTH } : {})));
  const forward = (x: tf.Tensor) => blocks.reduce((h, b) => b.apply(h) as tf.Tensor, x);
  const inverse = (z: tf.Tensor) => blocks.reduceRight((h, b) => b.inverse(h), z);
  const logProb = (x: tf.Tensor) => {
    let h = x;
    let logDet: tf.Tensor = tf.zeros([x.shape[0]]);
    for (const b of blocks) {
      logDet = tf.add(logDet, b.logDet(h));
      h = b.apply(h) as tf.Tensor;
    }
    return tf.add(tf.mul(-0.5, tf.sum(tf.add(tf.square(h), Math.log(2 * Math.PI)), -1)), logDet);
  };
  return { blocks, forward, inverse, logProb };
});

modelReady.then(({ logProb, inverse, forward }) => {
  const opt = tf.train.adam(1e-3);
  const data = tf.randomNormal([1024, 4]).mul(tf.tensor1d([1, 0.5, 2, 0.1]));
  for (let i = 0; i < 500; i++) opt.minimize(() => tf.neg(tf.mean(logProb(data))) as tf.Scalar);
  const x = data.slice([0, 0], [8, -1]);
  console.log('reconstruction error', tf.max(tf.abs(tf.sub(inverse(forward(x)), x))).dataSync()[0]);
});
