/** Small typing helpers shared by the invertible layers. */
import * as tf from '@tensorflow/tfjs';
import type { Initializer } from './initializer-config';
import { configError } from './invertible';

/** The constructor argument type of tf.layers.Layer (not exported by name from the tfjs barrel). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
/** The keyword-argument bag of Layer.call (e.g. `{ training: true }`). */
export type Kwargs = Parameters<tf.layers.Layer['call']>[1];

/** Our layers take exactly one input; `call` may still receive it wrapped in an array. */
export function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/** The shape of the single input, unwrapping the list form tfjs sometimes passes to build(). */
export function singleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/** A [batch, features] or NHWC input shape and its channel count (null when unknown); other ranks throw. */
export function vectorOrImageShape(
  layerName: string,
  inputShape: tf.Shape | tf.Shape[],
): { shape: tf.Shape; channels: number | null } {
  const shape = singleShape(inputShape);
  if (shape.length !== 2 && shape.length !== 4) {
    configError(layerName, `expects rank 2 [batch, features] or rank 4 NHWC input, got rank ${shape.length}`);
  }
  return { shape, channels: shape[shape.length - 1] ?? null };
}

/** Sum over every axis but the batch axis, giving shape [batch]. */
export function sumPerExample(x: tf.Tensor): tf.Tensor1D {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
  return (axes.length === 0 ? x : tf.sum(x, axes)) as tf.Tensor1D;
}

/**
 * Base for layers that may be built lazily by `inverse()` or `initialize()` rather than by `apply()`.
 * tfjs prefixes weight names with `<layer name>/` only inside apply(), and saved weights are matched by
 * that prefixed name, so a build outside apply() adds the prefix itself.
 */
export abstract class LazyBuildLayer extends tf.layers.Layer {
  private outsidePrefix = '';

  protected ensureBuilt(shape: tf.Shape): void {
    if (this.built) return;
    this.outsidePrefix = `${this.name}/`;
    try {
      this.build(shape);
    } finally {
      this.outsidePrefix = '';
    }
  }

  protected addLayerWeight(
    name: string,
    shape: number[],
    init: Initializer,
    trainable = true,
  ): tf.LayerVariable {
    return this.addWeight(this.outsidePrefix + name, shape, 'float32', init, undefined, trainable);
  }
}
