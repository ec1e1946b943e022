/**
 * Specification of the LU-parameterised invertible linear maps, InvertibleLinear and InvertibleConv1x1
 * (core/src/layers/invertible-linear.ts, invertible-conv1x1.ts): y = x W on the channel axis (at every pixel for the
 * 1x1 convolution), so forward sigma_max(W) and inverse 1 / sigma_min(W), exactly. Their one option, the seed,
 * defaults to a hash of the layer name.
 */
import type { StaticBounds, WeightBounds } from './spec';

/** From the options alone: both norms depend on the trained W. */
export function invertibleLinearStatic(layerType: string): StaticBounds {
  return {
    forward: 'unknown',
    inverse: 'unknown',
    source: `${layerType}: ||W|| and ||W^-1|| depend on trained weights`,
    notes: [],
  };
}

/** From bounds of W's extreme singular values [sigma_min or less, sigma_max or more]. */
export function invertibleLinearFromWeights([lo, hi]: readonly [number, number]): WeightBounds {
  return { forward: hi, inverse: lo === 0 ? Infinity : 1 / lo };
}
