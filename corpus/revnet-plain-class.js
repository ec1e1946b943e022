// A reversible MLP for tabular data (RevNet's additive coupling, Gomez et al. 2017) written as plain classes: each
// block holds its F and G networks in fields and exposes forward/inverse. Activations are not stored during
// training; the backward pass reconstructs them with inverse(). F and G are never inverted.
import * as tf from '@tensorflow/tfjs';

function makeResidualFn(half, hidden) {
  const net = tf.sequential();
  net.add(tf.layers.dense({ units: hidden, inputShape: [half] }));
  net.add(tf.layers.layerNormalization());
  net.add(tf.layers.reLU());
  net.add(tf.layers.dropout({ rate: 0.1 }));
  net.add(tf.layers.dense({ units: half }));
  return net;
}

export class ReversibleBlock {
  constructor(dim, hidden = 256) {
    this.half = dim / 2;
    this.F = makeResidualFn(this.half, hidden);
    this.G = makeResidualFn(this.half, hidden);
  }

  forward(x, training = false) {
    const [x1, x2] = tf.split(x, 2, 1);
    const y1 = x1.add(this.F.apply(x2, { training }));
    const y2 = x2.add(this.G.apply(y1, { training }));
    return tf.concat([y1, y2], 1);
  }

  inverse(y) {
    const [y1, y2] = tf.split(y, 2, 1);
    const x2 = y2.sub(this.G.apply(y1));
    const x1 = y1.sub(this.F.apply(x2));
    return tf.concat([x1, x2], 1);
  }

  get trainableWeights() {
    return [...this.F.trainableWeights, ...this.G.trainableWeights];
  }
}

export class ReversibleSequence {
  constructor(dim, depth) {
    this.blocks = [];
    for (let i = 0; i < depth; i++) this.blocks.push(new ReversibleBlock(dim));
  }

  forward(x, training = false) {
    return this.blocks.reduce((h, b) => b.forward(h, training), x);
  }

  inverse(y) {
    return this.blocks.reduceRight((h, b) => b.inverse(h), y);
  }
}

// Sanity check used in the tests of the original project: inverse(forward(x)) == x up to float error.
export function reconstructionError(seq, x) {
  return tf.tidy(() => seq.inverse(seq.forward(x)).sub(x).abs().max().dataSync()[0]);
}

export const encoder = new ReversibleSequence(32, 6);
