// WGAN (Arjovsky et al. 2017) on 28x28 images. The critic estimates the Wasserstein-1 distance, which needs it
// to be K-Lipschitz; the paper enforces that by clipping every weight to [-0.01, 0.01] after each critic update
// (RMSProp, lr 5e-5, five critic steps per generator step).
import * as tf from '@tensorflow/tfjs';

const LATENT = 100;
const CLIP = 0.01;
const N_CRITIC = 5;

export function buildGenerator(): tf.Sequential {
  const g = tf.sequential({ name: 'generator' });
  g.add(tf.layers.dense({ units: 7 * 7 * 128, inputShape: [LATENT], useBias: false })); // expect: missing-lipschitz-constraint@info
  g.add(tf.layers.batchNormalization());
  g.add(tf.layers.reLU());
  g.add(tf.layers.reshape({ targetShape: [7, 7, 128] }));
  g.add(tf.layers.conv2dTranspose({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', useBias: false })); // expect: missing-lipschitz-constraint@info
  g.add(tf.layers.batchNormalization());
  g.add(tf.layers.reLU());
  g.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' })); // expect: missing-lipschitz-constraint@info
  return g;
}

export function buildCritic(): tf.Sequential {
  const c = tf.sequential({ name: 'critic' });
  c.add(tf.layers.conv2d({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', inputShape: [28, 28, 1] })); // expect: missing-lipschitz-constraint@warning
  c.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  c.add(tf.layers.conv2d({ filters: 128, kernelSize: 4, strides: 2, padding: 'same' })); // expect: missing-lipschitz-constraint@warning
  c.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  c.add(tf.layers.flatten());
  c.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@warning
  return c;
}

const generator = buildGenerator();
const critic = buildCritic();
const criticOpt = tf.train.rmsprop(5e-5);
const genOpt = tf.train.rmsprop(5e-5);

function clipCriticWeights() {
  for (const w of critic.trainableWeights) {
    w.write(tf.clipByValue(w.read(), -CLIP, CLIP));
  }
}

export function trainStep(real: tf.Tensor4D): { wDistance: number } {
  const batch = real.shape[0];
  let wDistance = 0;
  for (let i = 0; i < N_CRITIC; i++) {
    const cost = criticOpt.minimize(() => {
      const fake = generator.apply(tf.randomNormal([batch, LATENT])) as tf.Tensor;
      const realScore = critic.apply(real) as tf.Tensor;
      const fakeScore = critic.apply(fake) as tf.Tensor;
      // critic maximises E[D(real)] - E[D(fake)]
      return tf.sub(tf.mean(fakeScore), tf.mean(realScore)) as tf.Scalar;
    }, true, critic.trainableWeights.map((w) => w.read() as tf.Variable));
    wDistance = -cost!.dataSync()[0]!;
    cost!.dispose();
    clipCriticWeights();
  }
  genOpt.minimize(() => {
    const fake = generator.apply(tf.randomNormal([batch, LATENT])) as tf.Tensor;
    return tf.neg(tf.mean(critic.apply(fake) as tf.Tensor)) as tf.Scalar;
  }, false, generator.trainableWeights.map((w) => w.read() as tf.Variable));
  return { wDistance };
}
