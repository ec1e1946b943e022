// A VGG-style CIFAR-10 classifier assembled from ./layers.js, with data augmentation done in the input pipeline.
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_STAGES, denseHead, vggStage } from './layers';

export function createVgg(numClasses = 10, stages = DEFAULT_STAGES) {
  const model = tf.sequential({ name: 'vgg_small' });
  stages.forEach((filters, i) => {
    for (const layer of vggStage(filters, i === 0 ? [32, 32, 3] : undefined)) model.add(layer);
  });
  for (const layer of denseHead(256, numClasses)) model.add(layer);
  model.compile({
    optimizer: tf.train.sgd(0.01),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

// Random horizontal flips and 4-pixel translations.
function augment(images) {
  return tf.tidy(() => {
    const flipped = tf.where(tf.randomUniform([images.shape[0], 1, 1, 1]).greater(0.5), images.reverse(2), images);
    const padded = tf.pad(flipped, [
      [0, 0],
      [4, 4],
      [4, 4],
      [0, 0],
    ]);
    const dx = Math.floor(Math.random() * 9);
    const dy = Math.floor(Math.random() * 9);
    return padded.slice([0, dy, dx, 0], [-1, 32, 32, -1]);
  });
}

export async function train(model, xs, ys, epochs = 40, batchSize = 128) {
  for (let e = 0; e < epochs; e++) {
    const aug = augment(xs);
    const h = await model.fit(aug, ys, { epochs: 1, batchSize, shuffle: true, verbose: 0 });
    console.log(`epoch ${e}: loss ${h.history.loss[0].toFixed(3)} acc ${h.history.acc[0].toFixed(3)}`);
    aug.dispose();
  }
  return model;
}
