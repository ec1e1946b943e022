import * as tf from '@tensorflow/tfjs';

/** What a fixed-point inverse reports about its own convergence. */
export interface InverseReport {
  /** Iterations used by the last `inverse()` call (0 for closed-form inverses). */
  iterations: number;
  /** Largest |x_k - x_{k-1}| over the batch at the last iteration (0 for closed-form inverses). */
  residual: number;
  /** Whether the tolerance was reached before the iteration cap. */
  converged: boolean;
}

/**
 * A bijective layer: `call()` is the forward map, `inverse()` undoes it and `logDetJacobian()` gives
 * log |det dF/dx| per batch element (shape [batch]).
 */
export interface Invertible {
  inverse(y: tf.Tensor): tf.Tensor;
  logDetJacobian(x: tf.Tensor): tf.Tensor1D;
  /** Static upper bounds on the forward and inverse Lipschitz constants given the current weights. */
  lipschitzBounds(): { forward: number; inverse: number };
  /** Present on layers whose inverse is iterative. */
  lastInverseReport?(): InverseReport;
}

export function isInvertible(layer: unknown): layer is Invertible & tf.layers.Layer {
  return (
    layer instanceof tf.layers.Layer &&
    typeof (layer as Partial<Invertible>).inverse === 'function' &&
    typeof (layer as Partial<Invertible>).logDetJacobian === 'function'
  );
}

/** Serialization package name: registered class ids read `LipschitzLens>ClassName`. */
export const PACKAGE = 'LipschitzLens';

/** Throws a configuration error that names the layer, so users can find the offending block. */
export function configError(layerName: string, message: string): never {
  throw new Error(`${layerName}: ${message}`);
}
