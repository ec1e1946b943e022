// LSGAN (Mao et al. 2017) on MNIST: the discriminator has a linear output and both players minimise
// least-squares losses, a = 0 (fake), b = c = 1 (real). No Lipschitz bound is needed or used.
import * as tf from '@tensorflow/tfjs';

const LATENT = 64;

export function buildGenerator(): tf.Sequential {
  const g = tf.sequential({ name: 'generator' });
  g.add(tf.layers.dense({ inputShape: [LATENT], units: 7 * 7 * 128, useBias: false })); // expect: missing-lipschitz-constraint@info
  g.add(tf.layers.batchNormalization());
  g.add(tf.layers.reLU());
  g.add(tf.layers.reshape({ targetShape: [7, 7, 128] }));
  g.add(tf.layers.conv2dTranspose({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', useBias: false })); // expect: missing-lipschitz-constraint@info
  g.add(tf.layers.batchNormalization());
  g.add(tf.layers.reLU());
  g.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' })); // expect: missing-lipschitz-constraint@info
  return g;
}

export function buildDiscriminator(): tf.Sequential {
  const d = tf.sequential({ name: 'discriminator' });
  d.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 64, kernelSize: 4, strides: 2, padding: 'same' })); // expect: missing-lipschitz-constraint@info
  d.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  d.add(tf.layers.conv2d({ filters: 128, kernelSize: 4, strides: 2, padding: 'same' })); // expect: missing-lipschitz-constraint@info
  d.add(tf.layers.batchNormalization());
  d.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  d.add(tf.layers.flatten());
  d.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@info
  return d;
}

const generator = buildGenerator();
const discriminator = buildDiscriminator();
const dOpt = tf.train.adam(2e-4, 0.5);
const gOpt = tf.train.adam(2e-4, 0.5);

function lsLoss(pred: tf.Tensor, target: number): tf.Scalar {
  return tf.mul(0.5, tf.losses.meanSquaredError(tf.fill(pred.shape, target), pred)) as tf.Scalar;
}

export function trainStep(real: tf.Tensor4D): { dLoss: number; gLoss: number } {
  const n = real.shape[0];
  const z = tf.randomNormal([n, LATENT]);
  const dLoss = dOpt.minimize(
    () => {
      const fake = generator.apply(z, { training: true }) as tf.Tensor;
      const dReal = discriminator.apply(real, { training: true }) as tf.Tensor;
      const dFake = discriminator.apply(fake, { training: true }) as tf.Tensor;
      return tf.add(lsLoss(dReal, 1), lsLoss(dFake, 0)) as tf.Scalar;
    },
    true,
    discriminator.trainableWeights.map((w) => w.read() as tf.Variable),
  )!;
  const gLoss = gOpt.minimize(
    () => lsLoss(discriminator.apply(generator.apply(z, { training: true }), { training: true }) as tf.Tensor, 1),
    true,
    generator.trainableWeights.map((w) => w.read() as tf.Variable),
  )!;
  const out = { dLoss: dLoss.dataSync()[0], gLoss: gLoss.dataSync()[0] };
  tf.dispose([z, dLoss, gLoss]);
  return out;
}

export async function train(images: tf.Tensor4D, epochs = 20, batchSize = 64) {
  const scaled = tf.tidy(() => images.div(127.5).sub(1)) as tf.Tensor4D;
  const batches = Math.floor(scaled.shape[0] / batchSize);
  for (let e = 0; e < epochs; e++) {
    for (let b = 0; b < batches; b++) {
      const real = scaled.slice([b * batchSize, 0, 0, 0], [batchSize, 28, 28, 1]);
      const { dLoss, gLoss } = trainStep(real);
      real.dispose();
      if (b % 100 === 0) console.log(`epoch ${e} batch ${b}: D ${dLoss.toFixed(4)} G ${gLoss.toFixed(4)}`);
    }
    await tf.nextFrame();
  }
}
