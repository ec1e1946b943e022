// ResNet-18-style CIFAR-10 classifier (He et al. 2016): basic blocks with identity shortcuts, a strided 1x1
// projection shortcut where a stage downsamples, batch norm after every conv. Trained with cross-entropy.
import * as tf from '@tensorflow/tfjs';

type Sym = tf.SymbolicTensor;

const STAGES = [64, 128, 256, 512];
const BLOCKS_PER_STAGE = 2;
const WEIGHT_DECAY = 5e-4;

function bn(x: Sym): Sym {
  return tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x) as Sym;
}

function resBlock(x: Sym, filters: number, downsample = false): Sym {
  const strides = downsample ? 2 : 1;
  const reg = tf.regularizers.l2({ l2: WEIGHT_DECAY });
  let y = tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelRegularizer: reg }).apply(x) as Sym; // expect: missing-lipschitz-constraint@info
  y = tf.layers.reLU().apply(bn(y)) as Sym;
  y = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelRegularizer: reg }).apply(y) as Sym; // expect: missing-lipschitz-constraint@info
  y = bn(y);

  let shortcut = x;
  if (downsample) {
    // expect-next-line: missing-lipschitz-constraint@info
    const proj = tf.layers.conv2d({ filters, kernelSize: 1, strides: 2, useBias: false, kernelRegularizer: reg });
    shortcut = bn(proj.apply(x) as Sym);
  }
  const out = tf.layers.add().apply([shortcut, y]) as Sym;
  return tf.layers.reLU().apply(out) as Sym;
}

export function resnet18(numClasses = 10): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  // CIFAR stem: one 3x3 conv, no max pooling
  let x = tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as Sym; // expect: missing-lipschitz-constraint@info
  x = tf.layers.reLU().apply(bn(x)) as Sym;

  STAGES.forEach((filters, stage) => {
    for (let b = 0; b < BLOCKS_PER_STAGE; b++) {
      x = resBlock(x, filters, stage > 0 && b === 0);
    }
  });

  x = tf.layers.globalAveragePooling2d({}).apply(x) as Sym;
  const logits = tf.layers.dense({ units: numClasses, activation: 'softmax' }).apply(x) as Sym; // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: input, outputs: logits, name: 'resnet18' });
}

function augment(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const padded = tf.pad(images, [[0, 0], [4, 4], [4, 4], [0, 0]], 0);
    const dy = Math.floor(Math.random() * 9);
    const dx = Math.floor(Math.random() * 9);
    const cropped = tf.slice(padded, [0, dy, dx, 0], [-1, 32, 32, 3]) as tf.Tensor4D;
    return Math.random() < 0.5 ? tf.image.flipLeftRight(cropped) : cropped;
  });
}

export async function train(model: tf.LayersModel, xs: tf.Tensor4D, ys: tf.Tensor2D, epochs = 30) {
  const optimizer = tf.train.momentum(0.1, 0.9, true);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  for (let epoch = 0; epoch < epochs; epoch++) {
    // step schedule: divide by 10 at 50% and 75% of training
    const lr = epoch < epochs * 0.5 ? 0.1 : epoch < epochs * 0.75 ? 0.01 : 0.001;
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const batch = augment(xs);
    const h = await model.fit(batch, ys, { batchSize: 128, epochs: 1, shuffle: true, validationSplit: 0.1 });
    batch.dispose();
    console.log(`epoch ${epoch + 1}: loss ${h.history.loss[0]} val_acc ${h.history.val_acc?.[0]}`);
  }
}
