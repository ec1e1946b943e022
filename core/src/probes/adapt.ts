/**
 * Turns what a user's module exports (or a loaded checkpoint) into a `ProbeTarget`, by shape rather than by
 * class: the value may come from the user's own copy of tfjs and of this library, so `instanceof` against
 * ours would fail.
 */
import {
  type IterativeInverse,
  pointSize,
  type ProbeBlock,
  type ProbeTarget,
  type Tensor,
  type Tf,
  type Variable,
} from './target';

/** The parts of a tfjs layer the adapter uses. */
interface LayerLike {
  name: string;
  apply(x: Tensor): unknown;
  inverse?(y: Tensor): Tensor;
  logDetJacobian?(x: Tensor): Tensor;
  trainableWeights?: Array<{ read(): Tensor }>;
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

/** The MultiScaleFlow of core/src/layers, or any object with the same methods. */
interface MultiScaleLike {
  levels: unknown[];
  inputShape?: number[];
  forward(x: Tensor): { latents: Tensor[] };
  inverse(latents: Tensor[]): Tensor;
  flatten(latents: Tensor[]): Tensor;
  unflatten(z: Tensor, inputShape?: number[]): Tensor[];
  latentShapes(inputShape?: number[]): number[][];
  logDetJacobian?(x: Tensor): Tensor;
  levelForward?(i: number, h: Tensor): { h: Tensor; z?: Tensor };
  levelInverse?(i: number, h: Tensor, z?: Tensor): Tensor;
  levelLogDet?(i: number, h: Tensor): Tensor;
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

function isMultiScale(v: unknown): v is MultiScaleLike {
  return (
    has(v, 'levels') &&
    Array.isArray(v.levels) &&
    ['forward', 'inverse', 'flatten', 'unflatten', 'latentShapes'].every((k) => isFn(v[k]))
  );
}

function isTarget(v: unknown): v is ProbeTarget {
  return has(v, 'forward') && has(v, 'inputShape') && isFn(v.forward) && Array.isArray(v.inputShape);
}

function isLayer(v: unknown): v is LayerLike {
  return has(v, 'apply') && has(v, 'name') && isFn(v.apply);
}

/**
 * The layers with an iterative inverse (an inverse and lastInverseReport()) in `items`, looking inside containers
 * (a Flow's `blocks`, a model's `layers`, a multi-scale flow's `levels[i].steps`); `block` names the probe block
 * holding each item (by default the item's own name).
 */
function iterativeIn(
  items: readonly unknown[],
  block?: string,
  seen = new Set<unknown>(),
): IterativeInverse[] {
  return items.flatMap((item): IterativeInverse[] => {
    if (typeof item !== 'object' || item === null || seen.has(item)) return [];
    seen.add(item);
    const name = has(item, 'name') && typeof item.name === 'string' ? item.name : undefined;
    if (
      has(item, 'lastInverseReport') &&
      has(item, 'inverse') &&
      isFn(item.lastInverseReport) &&
      isFn(item.inverse)
    )
      return name === undefined
        ? []
        : [{ name, block: block ?? name, layer: item as unknown as IterativeInverse['layer'] }];
    const inner = block ?? name;
    const children = (key: string): unknown[] =>
      has(item, key) && Array.isArray(item[key]) ? (item[key] as unknown[]) : [];
    const steps = children('levels').flatMap((level) =>
      has(level, 'steps') && Array.isArray(level.steps) ? (level.steps as unknown[]) : [],
    );
    return [...children('blocks'), ...children('layers'), ...steps].flatMap((c) =>
      iterativeIn([c], inner, seen),
    );
  });
}

function asTensor(v: unknown, what: string): Tensor {
  if (has(v, 'shape') && has(v, 'dataSync')) return v as unknown as Tensor;
  throw new Error(`${what} did not return a single tensor`);
}

function block(layer: LayerLike): ProbeBlock {
  const b: ProbeBlock = { name: layer.name, forward: (x) => asTensor(layer.apply(x), layer.name) };
  if (isFn(layer.inverse)) b.inverse = (y) => layer.inverse!(y);
  if (isFn(layer.logDetJacobian)) b.logDet = (x) => layer.logDetJacobian!(x);
  // tfjs LayerVariable.read() is the backing tf.Variable.
  if (Array.isArray(layer.trainableWeights))
    b.trainableWeights = () => (layer.trainableWeights ?? []).map((w) => w.read() as Variable);
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

/** Sets target.iterativeInverses from the layers behind its blocks (none found: left unset). */
function withIterative(target: ProbeTarget, layers: readonly unknown[]): ProbeTarget {
  const found = iterativeIn(layers);
  if (found.length > 0) target.iterativeInverses = found;
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

/**
 * A multi-scale flow as a bijection R^D -> R^D: forward gives the flattened latents, concatenated in order,
 * and the inverse splits a flat vector into every latent, so each probe inverts with all factored-out
 * latents. Block k maps the flat state [z_0 .. z_{k-1}, h_k] (for k = 0 the input itself) to
 * [z_0 .. z_k, h_{k+1}]: level k on the trailing state, the latents already factored out passed through.
 */
function fromMultiScale(tf: Tf, flow: MultiScaleLike, name: string, inputShape: number[]): ProbeTarget {
  const shapes = flow.latentShapes(inputShape);
  const sizes = shapes.map(pointSize);
  const rows = (t: Tensor): Tensor => tf.reshape(t, [t.shape[0]!, -1]);
  const target: ProbeTarget = {
    name,
    inputShape,
    forward: (x) => tf.tidy(() => flow.flatten(flow.forward(x).latents)),
    inverse: (y) => tf.tidy(() => flow.inverse(flow.unflatten(rows(y), inputShape))),
  };
  if (isFn(flow.logDetJacobian)) target.logDet = (x) => flow.logDetJacobian!(x);
  // Each level's steps belong to the probe block of that level.
  const iterative = flow.levels.flatMap((level, k) =>
    has(level, 'steps') && Array.isArray(level.steps) ? iterativeIn(level.steps, `${name}/level_${k}`) : [],
  );
  if (iterative.length > 0) target.iterativeInverses = iterative;
  const { levelForward, levelInverse } = flow;
  if (levelForward === undefined || levelInverse === undefined || !isFn(levelForward) || !isFn(levelInverse))
    return target;
  const last = shapes.length - 1;
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  // The state entering level k: the input, then the kept half of the previous level (shaped like its latent).
  const split = (k: number, s: Tensor): { prefix?: Tensor; h: Tensor } => {
    const n = s.shape[0]!;
    if (k === 0) return { h: tf.reshape(s, [n, ...inputShape]) };
    const flat = rows(s);
    return {
      prefix: tf.slice(flat, [0, 0], [n, offsets[k]!]),
      h: tf.reshape(tf.slice(flat, [0, offsets[k]!], [n, -1]), [n, ...shapes[k - 1]!]),
    };
  };
  target.blocks = shapes.map((shape, k) => {
    const b: ProbeBlock = {
      name: `${name}/level_${k}`,
      forward: (s) =>
        tf.tidy(() => {
          const { prefix, h } = split(k, s);
          const out = levelForward.call(flow, k, h);
          const parts = [prefix, out.z === undefined ? undefined : rows(out.z), rows(out.h)];
          return tf.concat(
            parts.filter((p): p is Tensor => p !== undefined),
            1,
          );
        }),
      inverse: (y) =>
        tf.tidy(() => {
          const n = y.shape[0]!;
          const flat = rows(y);
          const at = (from: number, count: number): Tensor =>
            tf.reshape(tf.slice(flat, [0, from], [n, count]), [n, ...shape]);
          const o = offsets[k]!;
          const x =
            k === last
              ? levelInverse.call(flow, k, at(o, sizes[k]!))
              : levelInverse.call(flow, k, at(o + sizes[k]!, sizes[k]!), at(o, sizes[k]!));
          return k === 0 ? x : tf.concat([tf.slice(flat, [0, 0], [n, o]), rows(x)], 1);
        }),
    };
    const { levelLogDet } = flow;
    if (levelLogDet !== undefined && isFn(levelLogDet))
      b.logDet = (s) =>
        tf.tidy(() => {
          const { h } = split(k, s);
          return levelLogDet.call(flow, k, h);
        });
    return b;
  });
  return target;
}

function knownShape(shape: Array<number | null> | undefined): number[] | undefined {
  if (shape === undefined || shape.slice(1).some((d) => d === null)) return undefined;
  return shape.slice(1) as number[];
}

/**
 * Nothing says the shape of one input (the model's first layer, a JSDoc `@inputShape`, the audit's settings): a
 * configuration problem. The message names the tag, which the editor and the CLI both read; each front end adds
 * its own other ways (the editor's quick fix, the CLI's --input-shape).
 */
export class InputShapeUnknownError extends Error {
  constructor(readonly model: string) {
    super(`The input shape of ${model} is unknown: declare it above the model with /** @inputShape [n] */.`);
  }
}

/**
 * Adapts a model, a Flow, a MultiScaleFlow, a layer, a ProbeTarget-shaped object or a plain function. `inputShape` (one
 * point, no batch axis) is needed where the value does not say it.
 */
export function toProbeTarget(tf: Tf, value: unknown, name: string, inputShape?: number[]): ProbeTarget {
  const need = (found: number[] | undefined): number[] => {
    const shape = inputShape ?? found;
    if (shape === undefined) throw new InputShapeUnknownError(name);
    return shape;
  };
  // Before isTarget: a MultiScaleFlow has forward and inputShape too, but its forward gives a list of latents.
  if (isMultiScale(value)) return fromMultiScale(tf, value, name, need(value.inputShape));
  if (isTarget(value)) return withLogDet(tf, value);
  if (isModel(value)) {
    const shape = need(knownShape(value.inputs[0]?.shape));
    const layers = chain(value);
    const forward = (x: Tensor): Tensor => asTensor(value.apply(x), value.name);
    if (layers === undefined) return { name: value.name, inputShape: shape, forward };
    return withLogDet(tf, withIterative(fromBlocks(value.name, shape, layers.map(block), forward), layers));
  }
  if (isFlow(value)) {
    const first = value.blocks[0];
    const t = fromBlocks(name, need(knownShape(first?.batchInputShape)), value.blocks.map(block));
    t.forward = (x) => value.forward(x);
    t.inverse = (y) => value.inverse(y);
    if (isFn(value.logDetJacobian)) t.logDet = (x) => value.logDetJacobian!(x);
    return withLogDet(tf, withIterative(t, value.blocks));
  }
  if (isLayer(value))
    return withLogDet(
      tf,
      withIterative(fromBlocks(name, need(knownShape(value.batchInputShape)), [block(value)]), [value]),
    );
  if (typeof value === 'function')
    return {
      name,
      inputShape: need(undefined),
      forward: (x) => asTensor((value as (x: Tensor) => unknown)(x), name),
    };
  throw new Error(`${name}: not a model, Flow, MultiScaleFlow, invertible layer or function`);
}
