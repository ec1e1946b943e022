// The package's types and ESM entry as a TypeScript user imports them (type-checked and run by
// scripts/check-package.mjs in the fresh project).
import * as tf from '@tensorflow/tfjs';
import { AdditiveCoupling, Flow, Permutation, spectralNorm } from 'lipschitz-lens';

const flow: Flow = new Flow([new AdditiveCoupling({ hiddenUnits: 8 }), new Permutation({ seed: 1 })]);
const y: tf.Tensor = flow.forward(tf.ones([2, 4]));
const bounds: { forward: number; inverse: number } = flow.lipschitzBounds();
const dense = tf.layers.dense({ units: 4, kernelConstraint: spectralNorm({ coeff: 0.9 }) });
console.log(
  `ok: ESM import and types (output ${y.shape.join('x')}, bounds ${bounds.forward.toFixed(3)}, ${dense.name})`,
);
