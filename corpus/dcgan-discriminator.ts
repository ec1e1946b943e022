// DCGAN (Radford et al. 2016) for MNIST, as in the TensorFlow DCGAN tutorial: the discriminator is a binary
// classifier trained with sigmoid cross-entropy, so nothing here asks for a Lipschitz bound.
import * as tf from '@tensorflow/tfjs';

const NOISE_DIM = 100;

export function makeGeneratorModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 7 * 7 * 256, useBias: false, inputShape: [NOISE_DIM] })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU());
  model.add(tf.layers.reshape({ targetShape: [7, 7, 256] }));
  model.add(tf.layers.conv2dTranspose({ filters: 128, kernelSize: 5, strides: 1, padding: 'same', useBias: false })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU());
  model.add(tf.layers.conv2dTranspose({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', useBias: false })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU());
  model.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', activation: 'tanh' })); // expect: missing-lipschitz-constraint@info
  return model;
}

export function makeDiscriminatorModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', inputShape: [28, 28, 1] })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.leakyReLU());
  model.add(tf.layers.dropout({ rate: 0.3 }));
  model.add(tf.layers.conv2d({ filters: 128, kernelSize: 5, strides: 2, padding: 'same' })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.leakyReLU());
  model.add(tf.layers.dropout({ rate: 0.3 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@info
  return model;
}

const generator = makeGeneratorModel();
const discriminator = makeDiscriminatorModel();
const genOptimizer = tf.train.adam(1e-4);
const discOptimizer = tf.train.adam(1e-4);

function discriminatorLoss(realOutput: tf.Tensor, fakeOutput: tf.Tensor): tf.Scalar {
  const realLoss = tf.losses.sigmoidCrossEntropy(tf.onesLike(realOutput), realOutput);
  const fakeLoss = tf.losses.sigmoidCrossEntropy(tf.zerosLike(fakeOutput), fakeOutput);
  return tf.add(realLoss, fakeLoss) as tf.Scalar;
}

function generatorLoss(fakeOutput: tf.Tensor): tf.Scalar {
  return tf.losses.sigmoidCrossEntropy(tf.onesLike(fakeOutput), fakeOutput) as tf.Scalar;
}

export function trainStep(images: tf.Tensor4D): [number, number] {
  const noise = tf.randomNormal([images.shape[0], NOISE_DIM]);
  const dLoss = discOptimizer.minimize(() => {
    const fake = generator.apply(noise, { training: true }) as tf.Tensor;
    return discriminatorLoss(discriminator.apply(images, { training: true }) as tf.Tensor, discriminator.apply(fake, { training: true }) as tf.Tensor);
  }, true, discriminator.trainableWeights.map((w) => w.read() as tf.Variable));
  const gLoss = genOptimizer.minimize(() => {
    const fake = generator.apply(noise, { training: true }) as tf.Tensor;
    return generatorLoss(discriminator.apply(fake, { training: true }) as tf.Tensor);
  }, true, generator.trainableWeights.map((w) => w.read() as tf.Variable));
  const out: [number, number] = [dLoss!.dataSync()[0]!, gLoss!.dataSync()[0]!];
  tf.dispose([noise, dLoss, gLoss]);
  return out;
}
