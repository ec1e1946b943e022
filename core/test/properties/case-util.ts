/**
 * What the property test's cases are made of: the Subject a case builds, the IR node of the same options and
 * the weight helpers (random weights, a few optimiser steps, disposal).
 */
import * as tf from '@tensorflow/tfjs';
import { layerBounds } from '../../src/bounds';
import type { Bound, NodeBounds } from '../../src/bounds/bound';
import type { ConfigValue, LayerNode } from '../../src/ir/model-ir';
import type { InvertibleLayer } from '../../src/layers/flow';
import { SeededRandom } from '../../src/layers/seeded-random';
import { R } from '../bounds/ir-builders';
import type { BatchMap } from './measure';

/** One built configuration: its maps, the bounds it claims and the static bounds of its IR node. */
export interface Subject {
  /** One example's input shape (no batch axis), and the inverse's. */
  inputShape: number[];
  outputShape: number[];
  forward: BatchMap;
  /** A closed-form inverse, differentiated as it is. */
  inverse?: BatchMap;
  /**
   * An iterative inverse (fixed point): measured as 1 / sigma_min(J_F(x)) at x = inverse(y), the inverse
   * function theorem, since differentiating the loop would measure the truncated iteration, not the inverse.
   */
  iterativeInverse?: BatchMap;
  /** lipschitzBounds() (lipschitzConstant() for the non-invertible spectral layers: forward only). */
  runtime: { forward: number; inverse?: number };
  static: NodeBounds;
  /**
   * Bounds claimed on a declared input domain, the box [-halfWidth, halfWidth]^d: from the weights
   * (lipschitzBoundsOn) and statically (onDomain of the layer in a model with that `@inputDomain`).
   */
  domain?: {
    halfWidth: number;
    runtime: { forward: number; inverse: number };
    static: { forward: Bound; inverse: Bound } | undefined;
  };
  dispose(): void;
}

export interface Case {
  type: string;
  /** The random options, for messages. */
  label: string;
  make(): Subject;
}

export type CaseGenerator = (rng: SeededRandom, index: number) => Case;

const TRAIN_STEPS = 50;

export const pick = <T>(rng: SeededRandom, xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
export const int = (rng: SeededRandom, lo: number, hi: number): number =>
  lo + Math.floor(rng.uniform() * (hi - lo + 1));
export const seedOf = (rng: SeededRandom): number => Math.floor(rng.uniform() * 1e9);

let nodeId = 0;
/** A fresh id for IR nodes built here. */
export const nextId = (): string => `p${nodeId++}`;
export function node(layerType: string, config: { [key: string]: ConfigValue }): LayerNode {
  return { kind: 'layer', id: nextId(), layerType, origin: 'lipschitz-lens', config, range: R };
}
export const staticOf = (layerType: string, config: { [key: string]: ConfigValue }): NodeBounds =>
  layerBounds(node(layerType, config), { customLayers: [] });

/** Drops undefined options, so the IR config holds what source code passing these options would hold. */
export function clean(o: Record<string, ConfigValue | undefined>): { [key: string]: ConfigValue } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [key: string]: ConfigValue;
  };
}

export const sizeOf = (w: tf.LayerVariable): number => (w.shape as number[]).reduce((a, b) => a * b, 1);

export function disposeWeights(layers: readonly tf.layers.Layer[]): void {
  for (const l of layers) for (const w of l.weights) w.dispose();
}

/** Every weight replaced by gain * N(0, 1) / sqrt(fan-in) (biases N(0, 0.5^2)), the way training may leave it. */
export function randomizeWeights(
  layer: tf.layers.Layer,
  rng: SeededRandom,
  gain: number,
  only?: RegExp,
): void {
  for (const w of layer.trainableWeights) {
    if (only !== undefined && !only.test(w.name)) continue;
    const shape = w.shape as number[];
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const sd = shape.length > 1 ? gain / Math.sqrt(Math.max(1, fanIn)) : 0.5;
    const values = Float32Array.from(rng.normalArray(sizeOf(w)), (v) => v * sd);
    tf.tidy(() => void w.write(tf.tensor(values, shape)));
  }
}

/** `steps` Adam steps on a loss that pushes the map's gain up, in training mode (as fit() would call it). */
export function train(
  layer: tf.layers.Layer,
  inputShape: number[],
  loss: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar,
): void {
  const optimizer = tf.train.adam(0.05);
  const x = tf.randomNormal([8, ...inputShape], 0, 1, 'float32', 11);
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  for (let i = 0; i < TRAIN_STEPS; i++) {
    tf.tidy(() => {
      optimizer.minimize(() => loss(x, layer.apply(x, { training: true }) as tf.Tensor), false, vars);
    });
  }
  x.dispose();
  optimizer.dispose();
}
export const growOutput = (_x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
  tf.neg(tf.mean(tf.square(y))) as tf.Scalar;
export const growResidual = (x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
  tf.neg(tf.mean(tf.square(tf.sub(y, x)))) as tf.Scalar;

export function invertibleSubject(
  layer: InvertibleLayer,
  inputShape: number[],
  statics: NodeBounds,
  outputShape: number[] = inputShape,
): Subject {
  const runtime = layer.lipschitzBounds();
  return {
    inputShape,
    outputShape,
    forward: (x) => layer.apply(x) as tf.Tensor,
    inverse: (y) => layer.inverse(y),
    runtime,
    static: statics,
    dispose: () => disposeWeights([layer]),
  };
}
