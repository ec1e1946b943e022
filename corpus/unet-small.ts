// A two-level U-Net (Ronneberger et al. 2015) for binary segmentation of 128x128 images: skip connections are
// concatenations, downsampling by max pooling, upsampling by transposed convolutions.
import * as tf from '@tensorflow/tfjs';

function doubleConv(x: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor {
  const c1 = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal', name: `${name}_a` }); // expect: missing-lipschitz-constraint@info
  const c2 = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal', name: `${name}_b` }); // expect: missing-lipschitz-constraint@info
  return c2.apply(c1.apply(x)) as tf.SymbolicTensor;
}

function up(x: tf.SymbolicTensor, skip: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor {
  const u = tf.layers.conv2dTranspose({ filters, kernelSize: 2, strides: 2, padding: 'same', name: `${name}_up` }).apply(x) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  const merged = tf.layers.concatenate({ axis: -1 }).apply([u, skip]) as tf.SymbolicTensor;
  return doubleConv(merged, filters, name);
}

export function unet(size = 128, channels = 3, base = 16): tf.LayersModel {
  const input = tf.input({ shape: [size, size, channels] });
  const d1 = doubleConv(input, base, 'enc1');
  const p1 = tf.layers.maxPooling2d({ poolSize: 2 }).apply(d1) as tf.SymbolicTensor;
  const d2 = doubleConv(p1, base * 2, 'enc2');
  const p2 = tf.layers.maxPooling2d({ poolSize: 2 }).apply(d2) as tf.SymbolicTensor;
  const bottleneck = doubleConv(tf.layers.dropout({ rate: 0.3 }).apply(p2) as tf.SymbolicTensor, base * 4, 'mid');
  const u2 = up(bottleneck, d2, base * 2, 'dec2');
  const u1 = up(u2, d1, base, 'dec1');
  const mask = tf.layers.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid', name: 'mask' }).apply(u1) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: input, outputs: mask, name: 'unet' });
}

/** Soft Dice loss, 1 - 2|A.B| / (|A| + |B|). */
export function diceLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const inter = tf.sum(tf.mul(yTrue, yPred));
    const denom = tf.add(tf.sum(yTrue), tf.sum(yPred));
    return tf.sub(1, tf.div(tf.mul(2, inter), tf.add(denom, 1e-6))) as tf.Scalar;
  });
}

export async function trainUnet(images: tf.Tensor4D, masks: tf.Tensor4D): Promise<tf.LayersModel> {
  const model = unet();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (a, b) => diceLoss(a, b), metrics: ['binaryAccuracy'] });
  await model.fit(images, masks, { epochs: 25, batchSize: 8, validationSplit: 0.1 });
  return model;
}
