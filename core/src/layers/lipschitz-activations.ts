import * as tf from '@tensorflow/tfjs';
import { configError } from './invertible';

/** Activations whose Lipschitz constant is known (and at most 1), so a spectral-normalized chain stays bounded. */
export const LIPSCHITZ_ACTIVATIONS = [
  'linear',
  'relu',
  'leakyRelu',
  'elu',
  'tanh',
  'lipswish',
  'sigmoid',
] as const;
export type LipschitzActivation = (typeof LIPSCHITZ_ACTIVATIONS)[number];

export interface ActivationSpec {
  readonly name: LipschitzActivation;
  /** Global Lipschitz constant (sup |f'|). */
  readonly lipschitz: number;
  apply(x: tf.Tensor): tf.Tensor;
  /**
   * Elementwise f'(x), used to build Jacobians without autodiff. Written from ops whose first-order gradient is
   * correct on every backend (relu, step, exp, sigmoid, tanh; no where/greater, whose condition has no
   * gradient), so a log-det built from it trains with first-order gradients only: tfjs's second-order
   * gradients throw for elu, leaky ReLU and tanh and are silently wrong for sigmoid and exp (a saved output is
   * a constant in the backward pass).
   */
  derivative(x: tf.Tensor): tf.Tensor;
}

/** tf.leakyRelu's default slope; fixed so the activation name alone determines the function. */
export const LEAKY_RELU_ALPHA = 0.2;
/**
 * sup_x d/dx [x sigmoid(x)] is about 1.0998; dividing by 1.1 makes LipSwish 1-Lipschitz (Chen et al. 2019,
 * Residual Flows). beta is fixed at 1 here (the paper learns it; a learned beta would need its own weight).
 */
export const LIPSWISH_SCALE = 1.1;

const SPECS: Record<LipschitzActivation, ActivationSpec> = {
  linear: { name: 'linear', lipschitz: 1, apply: (x) => x, derivative: (x) => tf.onesLike(x) },
  // relu is not smooth: the Jacobian uses 0 at x = 0, which is fine almost everywhere.
  relu: { name: 'relu', lipschitz: 1, apply: (x) => tf.relu(x), derivative: (x) => tf.step(x, 0) },
  leakyRelu: {
    name: 'leakyRelu',
    lipschitz: Math.max(1, LEAKY_RELU_ALPHA),
    apply: (x) => tf.leakyRelu(x, LEAKY_RELU_ALPHA),
    // alpha + (1 - alpha) [x > 0]
    derivative: (x) => tf.add(LEAKY_RELU_ALPHA, tf.mul(1 - LEAKY_RELU_ALPHA, tf.step(x, 0))),
  },
  elu: {
    name: 'elu',
    lipschitz: 1,
    apply: (x) => tf.elu(x),
    // exp(min(x, 0)), written exp(x - relu(x)): 1 for x > 0, e^x below.
    derivative: (x) => tf.exp(tf.sub(x, tf.relu(x))),
  },
  tanh: {
    name: 'tanh',
    lipschitz: 1,
    apply: (x) => tf.tanh(x),
    derivative: (x) => tf.sub(1, tf.square(tf.tanh(x))),
  },
  lipswish: {
    name: 'lipswish',
    lipschitz: 1,
    apply: (x) => tf.div(tf.mul(x, tf.sigmoid(x)), LIPSWISH_SCALE),
    derivative: (x) => {
      const s = tf.sigmoid(x);
      return tf.div(tf.add(s, tf.mul(x, tf.mul(s, tf.sub(1, s)))), LIPSWISH_SCALE);
    },
  },
  sigmoid: {
    name: 'sigmoid',
    lipschitz: 0.25,
    apply: (x) => tf.sigmoid(x),
    derivative: (x) => {
      const s = tf.sigmoid(x);
      return tf.mul(s, tf.sub(1, s));
    },
  },
};

export function isLipschitzActivation(name: unknown): name is LipschitzActivation {
  return typeof name === 'string' && (LIPSCHITZ_ACTIVATIONS as readonly string[]).includes(name);
}

/** Resolves an activation name, throwing an error that names the layer for anything without a known bound. */
export function getLipschitzActivation(layerName: string, name: unknown): ActivationSpec {
  if (!isLipschitzActivation(name)) {
    configError(
      layerName,
      `activation '${String(name)}' has no known Lipschitz bound; use one of ${LIPSCHITZ_ACTIVATIONS.join(', ')}`,
    );
  }
  return SPECS[name];
}
