// A certifiably robust MNIST classifier in the style of Lipschitz-margin training (Tsuzuku et al. 2018): if the
// network is L-Lipschitz, a logit margin m certifies every perturbation smaller than m / (sqrt(2) * L). The bound
// is the product of the layers' constants, so every layer must have a known one.
import * as tf from '@tensorflow/tfjs';
import { SpectralConv2D, SpectralDense } from 'lipschitz-lens';

/**
 * @lipschitz
 * @inputShape [28, 28, 1]
 */
export function buildRobustClassifier(): tf.Sequential {
  const model = tf.sequential();
  model.add(new SpectralConv2D({ filters: 32, kernelSize: 3, padding: 'same', coeff: 1, inputShape: [28, 28, 1] }));
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(new SpectralConv2D({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', coeff: 1 }));
  model.add(tf.layers.activation({ activation: 'selu' })); // expect: non-lipschitz-activation@warning
  model.add(tf.layers.flatten());
  model.add(new SpectralDense({ units: 128, coeff: 1 }));
  model.add(tf.layers.activation({ activation: 'tanh' }));
  model.add(
    tf.layers.dense({
      units: 10,
      kernelConstraint: tf.constraints.maxNorm({ maxValue: 1, axis: 0 }), // expect: column-norm-not-spectral@warning
    }),
  );
  return model;
}

/** Margin loss: the true logit must beat every other by sqrt(2) * L * eps (L taken as 1 here). */
export function lipschitzMarginLoss(labels: tf.Tensor2D, logits: tf.Tensor2D, eps = 0.3): tf.Scalar {
  return tf.tidy(() => {
    const shifted = tf.sub(logits, tf.mul(labels, Math.SQRT2 * eps));
    return tf.losses.softmaxCrossEntropy(labels, shifted) as tf.Scalar;
  });
}

export function certifiedRadius(logits: tf.Tensor2D, lipschitz = 1): tf.Tensor {
  return tf.tidy(() => {
    const { values } = tf.topk(logits, 2);
    const [top1, top2] = tf.split(values, 2, 1);
    return tf.div(tf.sub(top1!, top2!), Math.SQRT2 * lipschitz);
  });
}

export async function train(xs: tf.Tensor4D, ys: tf.Tensor2D): Promise<tf.Sequential> {
  const model = buildRobustClassifier();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (y, p) => lipschitzMarginLoss(y as tf.Tensor2D, p as tf.Tensor2D) });
  await model.fit(xs, ys, { epochs: 10, batchSize: 128, validationSplit: 0.1 });
  return model;
}
