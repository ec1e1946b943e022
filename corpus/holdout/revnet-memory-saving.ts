// RevNet (Gomez et al. 2017) image classifier with the memory-saving backward pass: the reversible blocks
// store no activations; during backprop each block's input is recomputed from its output with inverse() and
// the block's vector-Jacobian product is taken on the recomputed input. Stem and head are ordinary models.
import * as tf from '@tensorflow/tfjs';

const SIZE = 32;
const WIDTH = 64; // channels of the reversible stack; each half has WIDTH / 2

function residualFn(channels: number): tf.Sequential {
  // F and G: BN-ReLU-conv-BN-ReLU-conv, never inverted
  return tf.sequential({
    layers: [
      tf.layers.batchNormalization({ inputShape: [SIZE, SIZE, channels] }),
      tf.layers.reLU(),
      tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same' }),
    ],
  });
}

class ReversibleBlock {
  readonly F = residualFn(WIDTH / 2);
  readonly G = residualFn(WIDTH / 2);
  forward(x: tf.Tensor): tf.Tensor {
    const [x1, x2] = tf.split(x, 2, 3);
    const y1 = tf.add(x1, this.F.apply(x2, { training: true }) as tf.Tensor);
    const y2 = tf.add(x2, this.G.apply(y1, { training: true }) as tf.Tensor);
    return tf.concat([y1, y2], 3);
  }
  inverse(y: tf.Tensor): tf.Tensor {
    const [y1, y2] = tf.split(y, 2, 3);
    const x2 = tf.sub(y2, this.G.apply(y1, { training: true }) as tf.Tensor);
    const x1 = tf.sub(y1, this.F.apply(x2, { training: true }) as tf.Tensor);
    return tf.concat([x1, x2], 3);
  }
  get variables(): tf.Variable[] {
    return [...this.F.trainableWeights, ...this.G.trainableWeights].map((w) => w.read() as tf.Variable);
  }
}

export function buildStem(): tf.Sequential {
  return tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [SIZE, SIZE, 3], filters: WIDTH, kernelSize: 3, padding: 'same' })], // expect: missing-lipschitz-constraint@info
  });
}

export function buildHead(numClasses: number): tf.Sequential {
  const head = tf.sequential();
  head.add(tf.layers.batchNormalization({ inputShape: [SIZE, SIZE, WIDTH] }));
  head.add(tf.layers.reLU());
  head.add(tf.layers.globalAveragePooling2d({}));
  head.add(tf.layers.dense({ units: numClasses })); // expect: missing-lipschitz-constraint@info
  return head;
}

const stem = buildStem();
const head = buildHead(10);
const blocks = Array.from({ length: 9 }, () => new ReversibleBlock());
const optimizer = tf.train.momentum(0.1, 0.9);

/** One training step; only the reversible stack's output is kept in memory. */
export function trainStep(images: tf.Tensor4D, labels: tf.Tensor2D): number {
  const h0 = tf.tidy(() => stem.apply(images, { training: true }) as tf.Tensor);
  let h = h0;
  for (const b of blocks) {
    const next = tf.tidy(() => b.forward(h));
    if (h !== h0) h.dispose();
    h = next;
  }

  // head: ordinary backprop, gives dL/dh
  const top = h;
  const headVars = head.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value: loss, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, head.apply(top, { training: true }) as tf.Tensor), headVars);
  let dy = tf.grad((t: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, head.apply(t, { training: true }) as tf.Tensor))(top);
  optimizer.applyGradients(grads);

  // reversible stack, last block first: reconstruct the input, then back-propagate through one block
  let y = top;
  for (let i = blocks.length - 1; i >= 0; i--) {
    const b = blocks[i];
    const x = tf.tidy(() => b.inverse(y));
    const cotangent = dy;
    const blockGrads = tf.variableGrads(() => tf.sum(tf.mul(b.forward(x), cotangent)) as tf.Scalar, b.variables);
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(b.forward(xi), cotangent)))(x);
    optimizer.applyGradients(blockGrads.grads);
    tf.dispose([y, cotangent, blockGrads.value]);
    y = x;
    dy = dx;
  }

  const stemVars = stem.trainableWeights.map((w) => w.read() as tf.Variable);
  const stemGrads = tf.variableGrads(() => tf.sum(tf.mul(stem.apply(images, { training: true }) as tf.Tensor, dy)) as tf.Scalar, stemVars);
  optimizer.applyGradients(stemGrads.grads);
  const out = loss.dataSync()[0];
  tf.dispose([y, dy, loss, stemGrads.value]);
  return out;
}
