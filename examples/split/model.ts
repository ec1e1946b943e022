// An i-ResNet whose blocks live in ./blocks.ts: the extractor follows the relative import.
import * as tf from '@tensorflow/tfjs';
import { residual, WIDTH } from './blocks';

/** @invertible */
export function buildSplitResNet(depth = 3) {
  const input = tf.input({ shape: [WIDTH] });
  let x = input;
  for (let i = 0; i < depth; i++) x = residual(x, 0.7);
  const out = tf.layers.dense({ units: WIDTH }).apply(x); // expect: missing-lipschitz-constraint
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}
