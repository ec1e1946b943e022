import * as tf from '@tensorflow/tfjs';
import { PACKAGE } from './invertible';
import { type InvertibleLinearArgs, LUInvertible } from './invertible-linear';

/** Arguments of {@link InvertibleConv1x1}; as for the dense map. */
export type InvertibleConv1x1Args = InvertibleLinearArgs;

/**
 * Glow's invertible 1x1 convolution on NHWC inputs: the LU-parameterised channel mixing of
 * InvertibleLinear applied at every pixel, so log|det| = H * W * sum logScale.
 */
export class InvertibleConv1x1 extends LUInvertible {
  static className = 'InvertibleConv1x1';
  protected readonly expectedRank = 4;

  constructor(args: InvertibleConv1x1Args = {}) {
    super(args);
  }
}
tf.serialization.registerClass(InvertibleConv1x1, PACKAGE);
