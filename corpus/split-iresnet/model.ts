// An i-ResNet for density estimation on 16-dimensional data, from the blocks in ./blocks.ts, plus a linear probe
// (a separate model) that classifies the latent codes.
import * as tf from '@tensorflow/tfjs';
import { applyAll, makeMlp, plainDense, snDense, WIDTH } from './blocks';

/**
 * x + g(x) blocks; the inverse is the fixed-point iteration x <- y - g(x) per block.
 * @invertible
 */
export function buildIResNet(nBlocks = 5, hidden = 64): { model: tf.LayersModel; branches: tf.LayersModel[] } {
  const input = tf.input({ shape: [WIDTH] });
  const branches: tf.LayersModel[] = [];
  let x = input;
  for (let b = 0; b < nBlocks; b++) {
    const bin = tf.input({ shape: [WIDTH] });
    branches.push(tf.model({ inputs: bin, outputs: applyAll(makeMlp(hidden), bin) }));
    x = tf.layers.add().apply([x, branches[b]!.apply(x) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  }
  // Last block: a wider hidden layer and a plain output projection, added while tuning.
  const lastIn = tf.input({ shape: [WIDTH] });
  const h = snDense(hidden * 2, 0.9, 'elu').apply(lastIn) as tf.SymbolicTensor;
  const last = tf.model({ inputs: lastIn, outputs: plainDense(WIDTH).apply(h) as tf.SymbolicTensor });
  branches.push(last);
  x = tf.layers.add().apply([x, last.apply(x) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: x }), branches };
}

export function invert(branches: tf.LayersModel[], y: tf.Tensor, iters = 60): tf.Tensor {
  return tf.tidy(() =>
    branches.reduceRight((out, g) => {
      let x = out;
      for (let k = 0; k < iters; k++) x = tf.sub(out, g.apply(x) as tf.Tensor);
      return x;
    }, y),
  );
}

/** Linear probe on the latent code: an ordinary classifier. */
export function linearProbe(numClasses: number): tf.Sequential {
  const probe = tf.sequential();
  probe.add(tf.layers.inputLayer({ inputShape: [WIDTH] }));
  probe.add(plainDense(numClasses, 'softmax'));
  probe.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return probe;
}
