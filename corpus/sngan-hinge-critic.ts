// SN-GAN discriminator (Miyato et al. 2018, the CIFAR "standard CNN") with the hinge loss. Every layer should be
// spectrally normalised so the discriminator is 1-Lipschitz; in this port the final linear layer was added later
// and lost its constraint.
import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';

export class SNDiscriminator {
  readonly net: tf.Sequential;

  constructor(private readonly ch = 64) {
    this.net = tf.sequential({ name: 'sn_discriminator' });
    const sn = { kernelConstraint: spectralNorm({ coeff: 1.0 }) };
    this.addConv(this.ch, 3, 1, sn, [32, 32, 3]);
    this.addConv(this.ch, 4, 2, sn);
    this.addConv(this.ch * 2, 3, 1, sn);
    this.addConv(this.ch * 2, 4, 2, sn);
    this.addConv(this.ch * 4, 3, 1, sn);
    this.addConv(this.ch * 4, 4, 2, sn);
    this.addConv(this.ch * 8, 3, 1, sn);
    this.net.add(tf.layers.flatten());
    this.net.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@warning
  }

  private addConv(filters: number, kernelSize: number, strides: number, sn: object, inputShape?: number[]) {
    this.net.add(tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', ...sn, ...(inputShape ? { inputShape } : {}) }));
    this.net.add(tf.layers.leakyReLU({ alpha: 0.1 }));
  }

  score(x: tf.Tensor4D): tf.Tensor {
    return this.net.apply(x) as tf.Tensor;
  }
}

/** Hinge loss: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))] for D, -E[D(G(z))] for G. */
export function discriminatorHingeLoss(realScore: tf.Tensor, fakeScore: tf.Tensor): tf.Scalar {
  return tf.add(tf.mean(tf.relu(tf.sub(1, realScore))), tf.mean(tf.relu(tf.add(1, fakeScore)))) as tf.Scalar;
}

export function generatorHingeLoss(fakeScore: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(fakeScore)) as tf.Scalar;
}

export function discriminatorStep(d: SNDiscriminator, real: tf.Tensor4D, fake: tf.Tensor4D, opt: tf.Optimizer): number {
  const loss = opt.minimize(() => discriminatorHingeLoss(d.score(real), d.score(fake)), true);
  const value = loss!.dataSync()[0]!;
  loss!.dispose();
  return value;
}

export const discriminator = new SNDiscriminator(64);
