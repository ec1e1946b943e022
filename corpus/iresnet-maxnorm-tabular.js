// A residual flow for tabular data where the branch layers were bounded with tfjs' built-in maxNorm constraint
// (each column's norm <= 0.9) instead of a spectral norm, and a GELU activation was tried. A column-norm bound
// gives only sqrt(units) * 0.9 on the spectral norm, so Lip(g) < 1 is not guaranteed.
import * as tf from '@tensorflow/tfjs';

const D = 12;
const H = 48;

function branch() {
  const layers = [
    tf.layers.dense({
      units: H,
      inputShape: [D],
      kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.9, axis: 0 }), // expect: column-norm-not-spectral@warning
    }),
    tf.layers.activation({ activation: 'gelu' }), // expect: non-lipschitz-activation@warning
    tf.layers.dense({
      units: D,
      kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.9, axis: 0 }), // expect: column-norm-not-spectral@warning
    }),
  ];
  return tf.sequential({ layers });
}

export class ResidualFlow {
  constructor(nBlocks = 8) {
    this.branches = Array.from({ length: nBlocks }, () => branch());
  }

  forward(x) {
    return tf.tidy(() => this.branches.reduce((h, g) => h.add(g.apply(h)), x));
  }

  inverse(y, iters = 100, tol = 1e-6) {
    return tf.tidy(() => {
      let out = y;
      for (let b = this.branches.length - 1; b >= 0; b--) {
        const g = this.branches[b];
        let x = out;
        for (let k = 0; k < iters; k++) {
          const next = out.sub(g.apply(x));
          const delta = next.sub(x).abs().max().dataSync()[0];
          x = next;
          if (delta < tol) break;
        }
        out = x;
      }
      return out;
    });
  }
}

export const flow = new ResidualFlow(8);
