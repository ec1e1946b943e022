// A keyword-spotting CNN on spectrograms whose convolution type is a hyper-parameter searched over: plain,
// depthwise-separable, or depthwise + pointwise. Layers are picked in a switch.
import * as tf from '@tensorflow/tfjs';

export type ConvKind = 'standard' | 'separable' | 'depthwise';

function convLayer(kind: ConvKind, filters: number, kernelSize: number, inputShape?: number[]): tf.layers.Layer[] {
  const shape = inputShape ? { inputShape } : {};
  switch (kind) {
    case 'standard':
      return [tf.layers.conv2d({ filters, kernelSize, padding: 'same', activation: 'relu', ...shape })]; // expect: missing-lipschitz-constraint@info
    case 'separable':
      return [tf.layers.separableConv2d({ filters, kernelSize, padding: 'same', activation: 'relu', ...shape })]; // expect: missing-lipschitz-constraint@info
    case 'depthwise':
      return [
        tf.layers.depthwiseConv2d({ kernelSize, padding: 'same', depthMultiplier: 1, ...shape }), // expect: missing-lipschitz-constraint@info
        tf.layers.conv2d({ filters, kernelSize: 1, activation: 'relu' }), // expect: missing-lipschitz-constraint@info
      ];
  }
}

export function keywordSpotter(kind: ConvKind, numWords: number, frames = 43, bins = 232): tf.Sequential {
  const model = tf.sequential();
  const blocks: [number, number][] = [
    [8, 4],
    [32, 3],
    [32, 3],
  ];
  blocks.forEach(([filters, k], i) => {
    for (const layer of convLayer(kind, filters, k, i === 0 ? [frames, bins, 1] : undefined)) model.add(layer);
    model.add(tf.layers.maxPooling2d({ poolSize: [2, 2], strides: [2, 2] }));
  });
  model.add(tf.layers.flatten());
  model.add(tf.layers.dropout({ rate: 0.25 }));
  model.add(tf.layers.dense({ units: 2000, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.dropout({ rate: 0.5 }));
  model.add(tf.layers.dense({ units: numWords, activation: 'softmax' })); // expect: missing-lipschitz-constraint@info
  model.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.sgd(0.01), metrics: ['accuracy'] });
  return model;
}

export const candidates = (['standard', 'separable', 'depthwise'] as ConvKind[]).map((k) => keywordSpotter(k, 20));
