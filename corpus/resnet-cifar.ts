// A small ResNet (He et al. 2016) classifier for CIFAR-10 in the functional API: basic blocks conv-BN-ReLU-conv-BN
// added to the shortcut, a 1x1 projection when the shape changes. The skips make training easy; nothing is
// inverted, so the residual branches need no Lipschitz bound.
import * as tf from '@tensorflow/tfjs';

const l2 = () => tf.regularizers.l2({ l2: 1e-4 });

function convBn(x: tf.SymbolicTensor, filters: number, strides = 1, relu = true): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelRegularizer: l2() }); // expect: missing-lipschitz-constraint@info
  let h = conv.apply(x) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  return relu ? (tf.layers.reLU().apply(h) as tf.SymbolicTensor) : h;
}

function basicBlock(x: tf.SymbolicTensor, filters: number, strides: number): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1];
  let shortcut = x;
  if (strides !== 1 || inChannels !== filters) {
    shortcut = tf.layers.conv2d({ filters, kernelSize: 1, strides, useBias: false }).apply(x) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
    shortcut = tf.layers.batchNormalization().apply(shortcut) as tf.SymbolicTensor;
  }
  let h = convBn(x, filters, strides);
  h = convBn(h, filters, 1, false);
  const sum = tf.layers.add().apply([shortcut, h]) as tf.SymbolicTensor;
  return tf.layers.reLU().apply(sum) as tf.SymbolicTensor;
}

export function resnet20(numClasses = 10): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = convBn(input, 16);
  const stages: [number, number][] = [
    [16, 1],
    [32, 2],
    [64, 2],
  ];
  for (const [filters, firstStride] of stages) {
    for (let b = 0; b < 3; b++) x = basicBlock(x, filters, b === 0 ? firstStride : 1);
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: numClasses, activation: 'softmax' }).apply(x) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: input, outputs: logits, name: 'resnet20' });
}

export async function fitCifar(xs: tf.Tensor4D, ys: tf.Tensor2D): Promise<tf.History> {
  const model = resnet20();
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model.fit(xs, ys, { epochs: 30, batchSize: 128, validationSplit: 0.1, shuffle: true });
}
