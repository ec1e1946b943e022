// RealNVP on the two-moons data, ported from the Keras example "Density estimation using Real NVP": the coupling
// net outputs s through a tanh layer and t through a linear one, and the flow applies x * exp(s) + t, so every
// scale lies in [1/e, e]. Masks alternate between the two coordinates.
import * as tf from '@tensorflow/tfjs';

const OUTPUT_DIM = 256;
const REG = 0.01;

function couplingNet(inputShape: number): tf.LayersModel {
  const input = tf.input({ shape: [inputShape] });
  const reg = () => tf.regularizers.l2({ l2: REG });
  const dense = (units: number, activation: 'relu' | 'tanh' | 'linear') =>
    tf.layers.dense({ units, activation, kernelRegularizer: reg() });

  let tLayer = input as tf.SymbolicTensor;
  for (let i = 0; i < 4; i++) tLayer = dense(OUTPUT_DIM, 'relu').apply(tLayer) as tf.SymbolicTensor;
  const tOut = dense(inputShape, 'linear').apply(tLayer) as tf.SymbolicTensor;

  let sLayer = input as tf.SymbolicTensor;
  for (let i = 0; i < 4; i++) sLayer = dense(OUTPUT_DIM, 'relu').apply(sLayer) as tf.SymbolicTensor;
  const sOut = dense(inputShape, 'tanh').apply(sLayer) as tf.SymbolicTensor;

  return tf.model({ inputs: input, outputs: [sOut, tOut] });
}

export class RealNVP {
  readonly numCouplingLayers: number;
  private readonly masks: number[][];
  private readonly layersList: tf.LayersModel[];

  constructor(numCouplingLayers = 6) {
    this.numCouplingLayers = numCouplingLayers;
    this.masks = Array.from({ length: numCouplingLayers }, (_, i) => (i % 2 === 0 ? [0, 1] : [1, 0]));
    this.layersList = this.masks.map(() => couplingNet(2));
  }

  /** training = true maps data -> latent (direction -1), false maps latent -> data. */
  call(x: tf.Tensor2D, training = true): { y: tf.Tensor; logDet: tf.Tensor } {
    let logDetInv: tf.Tensor = tf.zeros([x.shape[0]]);
    const direction = training ? -1 : 1;
    let y: tf.Tensor = x;
    const order = training ? [...this.masks.keys()].reverse() : [...this.masks.keys()];
    for (const i of order) {
      const mask = tf.tensor1d(this.masks[i]!);
      const reversedMask = tf.sub(1, mask);
      const xMasked = tf.mul(y, mask);
      const [s0, t0] = this.layersList[i]!.apply(xMasked) as tf.Tensor[];
      const s = tf.mul(s0!, reversedMask);
      const t = tf.mul(t0!, reversedMask);
      const gate = (direction - 1) / 2;
      y = tf.add(
        tf.mul(reversedMask, tf.add(tf.mul(y, tf.exp(tf.mul(direction, s))), tf.mul(tf.mul(direction, t), tf.exp(tf.mul(gate, s))))),
        xMasked,
      );
      logDetInv = tf.add(logDetInv, tf.mul(gate, tf.sum(s, 1)));
    }
    return { y, logDet: logDetInv };
  }

  logLoss(x: tf.Tensor2D): tf.Scalar {
    const { y, logDet } = this.call(x, true);
    const logLikelihood = tf.add(tf.mul(-0.5, tf.sum(tf.add(tf.square(y), Math.log(2 * Math.PI)), 1)), logDet);
    return tf.neg(tf.mean(logLikelihood)) as tf.Scalar;
  }
}

export async function train(data: tf.Tensor2D, epochs = 300): Promise<RealNVP> {
  const model = new RealNVP(6);
  const opt = tf.train.adam(1e-4);
  for (let e = 0; e < epochs; e++) {
    const loss = opt.minimize(() => model.logLoss(data), true);
    if (e % 50 === 0) console.log(`epoch ${e}: ${(await loss!.data())[0]}`);
    loss!.dispose();
  }
  return model;
}
