// A certifiably robust MNIST classifier in the style of Anil et al. 2019 (GroupSort networks): spectrally
// normalised dense layers with GroupSort(2) activations, plus a Parseval retraction (Cisse et al. 2017) after
// each batch that pulls the hidden kernels towards orthonormal, so gradient norms are preserved. Trained with a
// multi-class hinge loss; the certified L2 radius is margin / (sqrt(2) * L) for a network with Lipschitz bound L.
import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';

const MARGIN = 0.3;
const PARSEVAL_BETA = 3e-4;

/** Sorts each group of `size` consecutive units (size 2: [min, max]). Weightless and 1-Lipschitz. */
class GroupSort extends tf.layers.Layer {
  static className = 'GroupSort';
  constructor(private readonly size = 2) {
    super({});
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const [n, d] = x.shape;
      const g = tf.reshape(x, [n, d / this.size, this.size]);
      return tf.reshape(tf.concat([tf.min(g, -1, true), tf.max(g, -1, true)], -1), [n, d]);
    });
  }
}
tf.serialization.registerClass(GroupSort);

export function buildRobustMLP(): tf.Sequential {
  const model = tf.sequential({ name: 'groupsort_mlp' });
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 1024, kernelConstraint: spectralNorm({ coeff: 1 }), name: 'h1' }));
  model.add(new GroupSort(2));
  model.add(tf.layers.dense({ units: 1024, kernelConstraint: spectralNorm({ coeff: 1 }), name: 'h2' }));
  model.add(new GroupSort(2));
  model.add(tf.layers.dense({ units: 512, kernelConstraint: tf.constraints.maxNorm({ maxValue: 1, axis: 0 }), name: 'h3' })); // expect: column-norm-not-spectral@warning
  model.add(new GroupSort(2));
  model.add(tf.layers.dense({ units: 10, name: 'logits' })); // expect: missing-lipschitz-constraint@warning
  return model;
}

/** Multi-class hinge: every wrong logit must trail the true one by MARGIN. */
function marginHinge(yTrue: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const trueLogit = tf.sum(tf.mul(yTrue, logits), -1, true);
    const violations = tf.relu(tf.sub(tf.add(logits, MARGIN), trueLogit));
    return tf.mean(tf.sum(tf.mul(violations, tf.sub(1, yTrue)), -1)) as tf.Scalar;
  });
}

/** W <- (1 + beta) W - beta W W^T W on the hidden kernels (Parseval retraction). */
function parsevalRetraction(model: tf.Sequential) {
  tf.tidy(() => {
    for (const name of ['h1', 'h2']) {
      const layer = model.getLayer(name);
      const [w, b] = layer.getWeights();
      const wt = tf.transpose(w);
      const next = tf.sub(tf.mul(1 + PARSEVAL_BETA, w), tf.mul(PARSEVAL_BETA, tf.matMul(tf.matMul(w, wt), w)));
      layer.setWeights([next, b]);
    }
  });
}

export async function trainRobust(model: tf.Sequential, xs: tf.Tensor4D, ys: tf.Tensor2D) {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: marginHinge, metrics: ['accuracy'] });
  await model.fit(xs, ys, {
    batchSize: 128,
    epochs: 40,
    validationSplit: 0.1,
    callbacks: { onBatchEnd: async () => parsevalRetraction(model) },
  });
}

/** Certified radius per example for a Lipschitz bound `lip` of the whole network. */
export function certifiedRadius(model: tf.Sequential, xs: tf.Tensor4D, lip = 1): Float32Array {
  return tf.tidy(() => {
    const logits = model.predict(xs) as tf.Tensor2D;
    const top2 = tf.topk(logits, 2).values;
    const margin = tf.sub(top2.slice([0, 0], [-1, 1]), top2.slice([0, 1], [-1, 1]));
    return tf.div(margin, Math.SQRT2 * lip).dataSync() as Float32Array;
  });
}
