// Residual-flow blocks with the activation chosen by name, the way residual-flows' ACTIVATION_FNS table is used
// from the command line. The TF.js port mapped 'swish' to tfjs' built-in swish, which is x * sigmoid(x) (Lipschitz
// constant about 1.1), not residual-flows' LipSwish (divided by 1.1); 'selu' was added for an experiment.
import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';

export type ActName = 'elu' | 'tanh' | 'lipswish' | 'swish' | 'selu' | 'leaky';

function activationLayer(name: ActName): tf.layers.Layer {
  switch (name) {
    case 'elu':
      return tf.layers.elu();
    case 'tanh':
      return tf.layers.activation({ activation: 'tanh' });
    case 'swish':
      return tf.layers.activation({ activation: 'swish' }); // expect: non-lipschitz-activation@warning
    case 'selu':
      return tf.layers.activation({ activation: 'selu' }); // expect: non-lipschitz-activation@warning
    case 'leaky':
      return tf.layers.leakyReLU({ alpha: 0.1 });
    default:
      return tf.layers.elu({ alpha: 1.0 });
  }
}

export interface BlockOptions {
  width: number;
  hidden: number;
  act: ActName;
  coeff?: number;
}

// One residual block, functional: out = x + W3 act(W2 act(W1 x)).
function residualBlock(x: tf.SymbolicTensor, opts: BlockOptions): tf.SymbolicTensor {
  const sn = () => spectralNorm({ coeff: opts.coeff ?? 0.9 });
  let h = tf.layers.dense({ units: opts.hidden, kernelConstraint: sn() }).apply(x) as tf.SymbolicTensor;
  h = activationLayer(opts.act).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: opts.hidden, kernelConstraint: sn() }).apply(h) as tf.SymbolicTensor;
  h = activationLayer(opts.act).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: opts.width, kernelConstraint: sn() }).apply(h) as tf.SymbolicTensor;
  return tf.layers.add().apply([x, h]) as tf.SymbolicTensor;
}

/**
 * Residual flow used for density estimation on tabular data; inverted with fixed-point iteration in `invert`.
 */
export function residualFlow(act: ActName, nBlocks = 6, width = 8): tf.LayersModel {
  const input = tf.input({ shape: [width] });
  let x = input;
  for (let i = 0; i < nBlocks; i++) x = residualBlock(x, { width, hidden: 64, act });
  return tf.model({ inputs: input, outputs: x, name: `resflow_${act}` });
}

export function invert(model: tf.LayersModel, y: tf.Tensor, iters = 100): tf.Tensor {
  // Fixed point on the whole map, x <- y - (F(x) - x): converges while the composed residual is contractive.
  return tf.tidy(() => {
    let x = y;
    for (let k = 0; k < iters; k++) x = tf.sub(y, tf.sub(model.apply(x) as tf.Tensor, x));
    return x;
  });
}

export const flows = (['elu', 'swish', 'selu', 'lipswish'] as ActName[]).map((a) => residualFlow(a));
