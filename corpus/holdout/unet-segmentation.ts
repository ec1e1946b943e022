// U-Net (Ronneberger et al. 2015) for binary segmentation of 128x128 images: two convs per level, max pooling
// down, transposed convs up, encoder features concatenated into the decoder. Dice + cross-entropy loss.
import * as tf from '@tensorflow/tfjs';

type T = tf.SymbolicTensor;

const BASE_FILTERS = 16;
const DEPTH = 4;

function doubleConv(x: T, filters: number, dropout = 0): T {
  let y = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: 'heNormal' }).apply(x) as T; // expect: missing-lipschitz-constraint@info
  y = tf.layers.batchNormalization().apply(y) as T;
  y = tf.layers.activation({ activation: 'relu' }).apply(y) as T;
  if (dropout > 0) y = tf.layers.dropout({ rate: dropout }).apply(y) as T;
  y = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: 'heNormal' }).apply(y) as T; // expect: missing-lipschitz-constraint@info
  y = tf.layers.batchNormalization().apply(y) as T;
  return tf.layers.activation({ activation: 'relu' }).apply(y) as T;
}

function encoderLevel(x: T, filters: number): { skip: T; down: T } {
  const skip = doubleConv(x, filters);
  const down = tf.layers.maxPooling2d({ poolSize: 2 }).apply(skip) as T;
  return { skip, down };
}

function decoderLevel(x: T, skip: T, filters: number): T {
  const up = tf.layers.conv2dTranspose({ filters, kernelSize: 2, strides: 2, padding: 'same' }).apply(x) as T; // expect: missing-lipschitz-constraint@info
  const merged = tf.layers.concatenate({ axis: -1 }).apply([skip, up]) as T;
  return doubleConv(merged, filters);
}

export function buildUNet(inputShape: [number, number, number] = [128, 128, 3]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  const skips: T[] = [];
  let x: T = input;
  for (let level = 0; level < DEPTH; level++) {
    const { skip, down } = encoderLevel(x, BASE_FILTERS * 2 ** level);
    skips.push(skip);
    x = down;
  }
  x = doubleConv(x, BASE_FILTERS * 2 ** DEPTH, 0.3);
  for (let level = DEPTH - 1; level >= 0; level--) {
    x = decoderLevel(x, skips[level], BASE_FILTERS * 2 ** level);
  }
  const mask = tf.layers.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' }).apply(x) as T; // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: input, outputs: mask, name: 'unet' });
}

function diceLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const smooth = 1;
    const inter = tf.sum(tf.mul(yTrue, yPred), [1, 2, 3]);
    const union = tf.add(tf.sum(yTrue, [1, 2, 3]), tf.sum(yPred, [1, 2, 3]));
    const dice = tf.div(tf.add(tf.mul(2, inter), smooth), tf.add(union, smooth));
    return tf.mean(tf.sub(1, dice)) as tf.Scalar;
  });
}

function bceDice(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  const bce = tf.metrics.binaryCrossentropy(yTrue, yPred).mean() as tf.Scalar;
  return tf.add(bce, diceLoss(yTrue, yPred)) as tf.Scalar;
}

export async function trainUNet(images: tf.Tensor4D, masks: tf.Tensor4D) {
  const model = buildUNet();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: bceDice, metrics: ['binaryAccuracy'] });
  await model.fit(images, masks, {
    batchSize: 8,
    epochs: 40,
    validationSplit: 0.15,
    callbacks: tf.callbacks.earlyStopping({ monitor: 'val_loss', patience: 6 }),
  });
  return model;
}
