// Reusable layer groups for the image classifiers in ./model.js.
import * as tf from '@tensorflow/tfjs';

/** conv -> batch norm -> relu, the VGG-style unit. */
export function convBnRelu(filters, kernelSize = 3, inputShape) {
  const cfg = { filters, kernelSize, padding: 'same', useBias: false };
  if (inputShape) cfg.inputShape = inputShape;
  return [tf.layers.conv2d(cfg), tf.layers.batchNormalization(), tf.layers.reLU()]; // expect: missing-lipschitz-constraint@info
}

/** Two conv units and a 2x2 max pool: one VGG stage. */
export function vggStage(filters, inputShape) {
  return [...convBnRelu(filters, 3, inputShape), ...convBnRelu(filters), tf.layers.maxPooling2d({ poolSize: 2 })];
}

/** Dense classifier head with dropout. */
export function denseHead(units, numClasses, dropout = 0.5) {
  return [
    tf.layers.flatten(),
    tf.layers.dense({ units, activation: 'relu' }), // expect: missing-lipschitz-constraint@info
    tf.layers.dropout({ rate: dropout }),
    tf.layers.dense({ units: numClasses, activation: 'softmax' }), // expect: missing-lipschitz-constraint@info
  ];
}

// Parameter count of a layer list once built, for the summary table in the README.
export function paramCount(model) {
  return model.layers.reduce((n, l) => n + l.countParams(), 0);
}

export const DEFAULT_STAGES = [32, 64, 128];
