import * as tf from '@tensorflow/tfjs';
import { SpectralNormConstraint, type SpectralNormConstraintArgs } from './spectral-norm';

/**
 * `kernelConstraint: spectralNorm({coeff: 0.9})` on a tfjs dense layer, as `tf.constraints.maxNorm` is used.
 * Pair it with {@link projectConstraints} when training with `fit()`.
 */
export function spectralNorm(args: SpectralNormConstraintArgs = {}): SpectralNormConstraint {
  return new SpectralNormConstraint(args);
}

/**
 * Re-applies every weight's constraint. tfjs applies constraints only when a LayerVariable is written
 * (`setWeights`), not in the optimizer step of `fit()`, so without this a `kernelConstraint` silently stops
 * holding during training.
 */
export function applyConstraints(model: tf.LayersModel | tf.layers.Layer): void {
  for (const weight of model.trainableWeights) {
    if (weight.constraint == null) continue;
    // write() skips a value it already holds, so the variable is assigned the projection directly.
    const variable = weight.read() as tf.Variable;
    tf.tidy(() => variable.assign(weight.constraint.apply(variable)));
  }
}

/** A `fit()` callback that keeps every kernel constraint (spectral norm included) in force after each batch. */
export function projectConstraints(model: tf.LayersModel): tf.CustomCallback {
  return new tf.CustomCallback({ onBatchEnd: () => applyConstraints(model) });
}
