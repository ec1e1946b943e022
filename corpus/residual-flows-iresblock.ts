// Port of the structure of residual-flows' iResBlock (Chen et al. 2019, lib/layers/iresblock.py) for the 2-D toy
// densities: y = x + g(x), g = LipSwish -> Linear -> LipSwish -> Linear -> LipSwish -> Linear, every linear map
// spectrally normalised to the repository's default image coefficient 0.98. The inverse is the fixed-point
// iteration x <- y - g(x), which contracts by Lip(g) per step.
import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';

const COEFF = 0.98;

/** LipSwish: x * sigmoid(beta * x) / 1.1, 1-Lipschitz for every beta >= 0 (beta = softplus of a parameter). */
class LipSwish extends tf.layers.Layer {
  static className = 'LipSwish';
  private beta!: tf.LayerVariable;

  override build() {
    this.beta = this.addWeight('beta', [1], 'float32', tf.initializers.constant({ value: 0.5 }));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const beta = tf.softplus(this.beta.read());
      return tf.div(tf.mul(x, tf.sigmoid(tf.mul(x, beta))), 1.1);
    });
  }
}
tf.serialization.registerClass(LipSwish);

function buildNnet(dims: number[]): tf.Sequential {
  const nnet = tf.sequential();
  for (let i = 0; i < dims.length - 1; i++) {
    nnet.add(new LipSwish(i === 0 ? { inputShape: [dims[0]!] } : {}));
    nnet.add(tf.layers.dense({ units: dims[i + 1]!, kernelConstraint: spectralNorm({ coeff: COEFF }) })); // expect: residual-coefficient-too-large@warning
  }
  return nnet;
}

export class IResBlock extends tf.layers.Layer {
  static className = 'IResBlock';
  private readonly nnet: tf.Sequential;
  private readonly nIterations: number;

  constructor(dims: number[], config: { nIterations?: number; inputShape?: number[] } = {}) {
    super(config.inputShape ? { inputShape: config.inputShape } : {});
    this.nnet = buildNnet(dims);
    this.nIterations = config.nIterations ?? 100;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => tf.add(x, this.nnet.apply(x) as tf.Tensor));
  }

  /** _inverse_fixed_point: x_{k+1} = y - g(x_k), stopped at atol 1e-5. */
  inverse(y: tf.Tensor): tf.Tensor {
    let x = tf.sub(y, this.nnet.apply(y) as tf.Tensor);
    for (let k = 0; k < this.nIterations; k++) {
      const next = tf.sub(y, this.nnet.apply(x) as tf.Tensor);
      const diff = tf.max(tf.abs(tf.sub(next, x))).dataSync()[0]!;
      x.dispose();
      x = next;
      if (diff < 1e-5) break;
    }
    return x;
  }

  /** Brute-force log|det(I + J_g)| for 2-D inputs, as the toy script does when it evaluates. */
  logDetJacobian(x: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => {
      const cols = [0, 1].map((j) => {
        const e = tf.oneHot(tf.fill([x.shape[0]], j, 'int32'), 2).toFloat();
        const f = (z: tf.Tensor) => tf.sum(tf.mul(this.nnet.apply(z) as tf.Tensor, e));
        return tf.add(tf.grad(f)(x), e);
      });
      const [a, b] = [cols[0]!, cols[1]!];
      const det = tf.sub(tf.mul(a.slice([0, 0], [-1, 1]), b.slice([0, 1], [-1, 1])), tf.mul(a.slice([0, 1], [-1, 1]), b.slice([0, 0], [-1, 1])));
      return tf.log(tf.abs(det)).reshape([-1]);
    });
  }
}
tf.serialization.registerClass(IResBlock);

export function residualFlow(nBlocks = 10, hidden = 128): tf.Sequential {
  const flow = tf.sequential();
  for (let i = 0; i < nBlocks; i++) {
    flow.add(new IResBlock([2, hidden, hidden, 2], i === 0 ? { inputShape: [2] } : {}));
  }
  return flow;
}
