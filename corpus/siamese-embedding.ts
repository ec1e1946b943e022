// A siamese network for signature verification: one embedding tower applied to both inputs, L2-normalised
// embeddings, and the contrastive loss of Hadsell et al. (2006) on their distance.
import * as tf from '@tensorflow/tfjs';

const IMG: [number, number, number] = [64, 64, 1];

function embeddingTower(dim = 64): tf.Sequential {
  return tf.sequential({
    name: 'tower',
    layers: [
      tf.layers.conv2d({ filters: 32, kernelSize: 5, activation: 'relu', inputShape: IMG }), // expect: missing-lipschitz-constraint@info
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }), // expect: missing-lipschitz-constraint@info
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.separableConv2d({ filters: 128, kernelSize: 3, activation: 'relu' }), // expect: missing-lipschitz-constraint@info
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: dim }), // expect: missing-lipschitz-constraint@info
    ],
  });
}

class L2Normalize extends tf.layers.Layer {
  static className = 'L2Normalize';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => tf.div(x, tf.add(tf.norm(x, 'euclidean', -1, true), 1e-10)));
  }
}
tf.serialization.registerClass(L2Normalize);

export function siamese(): tf.LayersModel {
  const tower = embeddingTower();
  const a = tf.input({ shape: IMG });
  const b = tf.input({ shape: IMG });
  const norm = new L2Normalize({});
  const ea = norm.apply(tower.apply(a)) as tf.SymbolicTensor;
  const eb = norm.apply(tower.apply(b)) as tf.SymbolicTensor;
  const diff = tf.layers.subtract().apply([ea, eb]) as tf.SymbolicTensor;
  return tf.model({ inputs: [a, b], outputs: diff });
}

/** y = 1 for a genuine pair: loss = y d^2 + (1 - y) max(0, m - d)^2. */
export function contrastiveLoss(yTrue: tf.Tensor, diff: tf.Tensor, margin = 1): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.sqrt(tf.add(tf.sum(tf.square(diff), -1), 1e-9));
    const pos = tf.mul(yTrue, tf.square(d));
    const neg = tf.mul(tf.sub(1, yTrue), tf.square(tf.relu(tf.sub(margin, d))));
    return tf.mean(tf.add(pos, neg)) as tf.Scalar;
  });
}

export async function train(pairsA: tf.Tensor4D, pairsB: tf.Tensor4D, same: tf.Tensor1D): Promise<tf.LayersModel> {
  const model = siamese();
  model.compile({ optimizer: tf.train.adam(5e-4), loss: (y, p) => contrastiveLoss(y.reshape([-1]), p) });
  await model.fit([pairsA, pairsB], same, { epochs: 20, batchSize: 64, validationSplit: 0.1 });
  return model;
}
