// Wide & Deep (Cheng et al. 2016) for click-through prediction: categorical embeddings and numeric features feed
// a deep tower, a wide linear part sees the crossed features, outputs are added before the sigmoid. Half-typed,
// as it was ported in a hurry.
import * as tf from '@tensorflow/tfjs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTensor = any;

const categorical: Record<string, number> = { country: 200, device: 12, hour: 24 };
const NUMERIC = 8;
const CROSSED = 1000;

export function buildWideAndDeep(deepUnits = [256, 128, 64]) {
  const catInputs: Record<string, tf.SymbolicTensor> = {};
  const embedded: AnyTensor[] = [];
  for (const [name, vocab] of Object.entries(categorical)) {
    const input = tf.input({ shape: [1], name, dtype: 'int32' });
    catInputs[name] = input;
    const emb = tf.layers.embedding({ inputDim: vocab, outputDim: Math.ceil(Math.pow(vocab, 0.25) * 4) }).apply(input); // expect: missing-lipschitz-constraint@info
    embedded.push(tf.layers.flatten().apply(emb));
  }
  const numeric = tf.input({ shape: [NUMERIC], name: 'numeric' });
  const crossed = tf.input({ shape: [CROSSED], name: 'crossed' });

  let deep: AnyTensor = tf.layers.concatenate().apply([...embedded, numeric]);
  for (const units of deepUnits) {
    deep = tf.layers.dense({ units, activation: 'relu' }).apply(deep); // expect: missing-lipschitz-constraint@info
    deep = tf.layers.dropout({ rate: 0.2 }).apply(deep);
  }
  const deepLogit: AnyTensor = tf.layers.dense({ units: 1 }).apply(deep); // expect: missing-lipschitz-constraint@info
  const wideLogit: AnyTensor = tf.layers.dense({ units: 1, kernelRegularizer: tf.regularizers.l1({ l1: 1e-5 }) }).apply(crossed); // expect: missing-lipschitz-constraint@info

  const logit = tf.layers.add().apply([deepLogit, wideLogit]);
  const prob = tf.layers.activation({ activation: 'sigmoid' }).apply(logit) as tf.SymbolicTensor;
  const inputs = [...Object.values(catInputs), numeric, crossed];
  const model = tf.model({ inputs, outputs: prob, name: 'wide_and_deep' });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

export async function fit(model: AnyTensor, features: AnyTensor, labels: AnyTensor) {
  return model.fit(features, labels, { epochs: 5, batchSize: 1024, validationSplit: 0.05 });
}
