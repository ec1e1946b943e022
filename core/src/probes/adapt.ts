/**
 * Turns what a user's module exports (or a loaded checkpoint) into a `ProbeTarget`, by shape rather than by
 * class: the value may come from the user's own copy of tfjs and of this library, so `instanceof` against
 * ours would fail.
 */
import type { ProbeBlock, ProbeTarget, Tensor, Tf } from './target';

/** The parts of a tfjs layer the adapter uses. */
interface LayerLike {
  name: string;
  apply(x: Tensor): unknown;
  inverse?(y: Tensor): Tensor;
  logDetJacobian?(x: Tensor): Tensor;
  getClassName?(): string;
  batchInputShape?: Array<number | null>;
  inboundNodes?: Array<{ inboundLayers?: LayerLike[] }>;
}

interface ModelLike {
  name: string;
  layers: LayerLike[];
  inputs: Array<{ shape: Array<number | null> }>;
  apply(x: Tensor): unknown;
}

/** The Flow container of core/src/layers, or any object with the same methods. */
interface FlowLike {
  blocks: LayerLike[];
  forward(x: Tensor): Tensor;
  inverse(y: Tensor): Tensor;
  logDetJacobian?(x: Tensor): Tensor;
}

function isFn(v: unknown): boolean {
  return typeof v === 'function';
}

function has(v: unknown, key: string): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && key in v;
}

function isModel(v: unknown): v is ModelLike {
  return has(v, 'layers') && has(v, 'inputs') && isFn(v.apply) && Array.isArray(v.layers);
}

function isFlow(v: unknown): v is FlowLike {
  return has(v, 'blocks') && isFn(v.forward) && isFn(v.inverse) && Array.isArray(v.blocks);
}

function isTarget(v: unknown): v is ProbeTarget {
  return has(v, 'forward') && has(v, 'inputShape') && isFn(v.forward) && Array.isArray(v.inputShape);
}

function isLayer(v: unknown): v is LayerLike {
  return has(v, 'apply') && has(v, 'name') && isFn(v.apply);
}

function asTensor(v: unknown, what: string): Tensor {
  if (has(v, 'shape') && has(v, 'dataSync')) return v as unknown as Tensor;
  throw new Error(`${what} did not return a single tensor`);
}

function block(layer: LayerLike): ProbeBlock {
  const b: ProbeBlock = { name: layer.name, forward: (x) => asTensor(layer.apply(x), layer.name) };
  if (isFn(layer.inverse)) b.inverse = (y) => layer.inverse!(y);
  if (isFn(layer.logDetJacobian)) b.logDet = (x) => layer.logDetJacobian!(x);
  return b;
}

/** The model's layers when they form a single chain (each fed only by the previous one), else undefined. */
function chain(model: ModelLike): LayerLike[] | undefined {
  const layers = model.layers.filter((l) => l.getClassName?.() !== 'InputLayer');
  for (let i = 1; i < layers.length; i++) {
    const inbound = layers[i]!.inboundNodes?.[0]?.inboundLayers ?? [];
    if (inbound.length !== 1 || inbound[0] !== layers[i - 1]) return undefined;
  }
  return layers;
}

function fromBlocks(
  name: string,
  inputShape: number[],
  blocks: ProbeBlock[],
  forward?: (x: Tensor) => Tensor,
): ProbeTarget {
  const target: ProbeTarget = {
    name,
    inputShape,
    blocks,
    forward: forward ?? ((x) => blocks.reduce((h, b) => b.forward(h), x)),
  };
  if (blocks.every((b) => b.inverse !== undefined))
    target.inverse = (y) => blocks.reduceRight((h, b) => b.inverse!(h), y);
  return target;
}

function withLogDet(tf: Tf, target: ProbeTarget): ProbeTarget {
  const blocks = target.blocks ?? [];
  if (target.logDet !== undefined || blocks.length === 0 || blocks.some((b) => b.logDet === undefined))
    return target;
  // Each block's term is taken at the input that block sees.
  target.logDet = (x) =>
    tf.tidy(() => {
      let h = x;
      let total: Tensor = tf.zeros([x.shape[0]!]);
      for (const b of blocks) {
        total = tf.add(total, b.logDet!(h));
        h = b.forward(h);
      }
      return total;
    });
  return target;
}

function knownShape(shape: Array<number | null> | undefined): number[] | undefined {
  if (shape === undefined || shape.slice(1).some((d) => d === null)) return undefined;
  return shape.slice(1) as number[];
}

/**
 * Adapts a model, a Flow, a layer, a ProbeTarget-shaped object or a plain function. `inputShape` (one
 * point, no batch axis) is needed where the value does not say it.
 */
export function toProbeTarget(tf: Tf, value: unknown, name: string, inputShape?: number[]): ProbeTarget {
  const need = (found: number[] | undefined): number[] => {
    const shape = inputShape ?? found;
    if (shape === undefined) throw new Error(`${name}: the input shape is unknown; pass --input-shape`);
    return shape;
  };
  if (isTarget(value)) return withLogDet(tf, value);
  if (isModel(value)) {
    const shape = need(knownShape(value.inputs[0]?.shape));
    const layers = chain(value);
    const forward = (x: Tensor): Tensor => asTensor(value.apply(x), value.name);
    if (layers === undefined) return { name: value.name, inputShape: shape, forward };
    return withLogDet(tf, fromBlocks(value.name, shape, layers.map(block), forward));
  }
  if (isFlow(value)) {
    const first = value.blocks[0];
    const t = fromBlocks(name, need(knownShape(first?.batchInputShape)), value.blocks.map(block));
    t.forward = (x) => value.forward(x);
    t.inverse = (y) => value.inverse(y);
    if (isFn(value.logDetJacobian)) t.logDet = (x) => value.logDetJacobian!(x);
    return withLogDet(tf, t);
  }
  if (isLayer(value))
    return withLogDet(tf, fromBlocks(name, need(knownShape(value.batchInputShape)), [block(value)]));
  if (typeof value === 'function')
    return {
      name,
      inputShape: need(undefined),
      forward: (x) => asTensor((value as (x: Tensor) => unknown)(x), name),
    };
  throw new Error(`${name}: not a model, Flow, invertible layer or function`);
}
