/**
 * The bound calculus: every layer, op, block and model of a FileIr gets upper bounds on its forward and inverse
 * Lipschitz constants (Behrmann et al., AISTATS 2021), composed bottom-up along the IR's wiring.
 */
import {
  type BlockNode,
  type FileIr,
  type IrNode,
  type LayerNode,
  type ModelNode,
  walk,
} from '../ir/model-ir';
import {
  type Bound,
  formatBound,
  type NodeBounds,
  productOf,
  residualForward,
  residualInverse,
} from './bound';
import { type KernelNorm } from './checkpoint';
import { type CheckpointLookup } from './checkpoint-cache';
import { additiveCouplingBounds } from '../specs/additive-coupling';
import { multiScaleStatic } from '../specs/multi-scale-flow';
import { plural } from '../report/plural';
import { blockScaleBounds, type LayerWeights, layerBounds, opBounds } from './layer-bounds';
import { addDomainBounds } from './domain-bounds';

export type BoundsMap = Map<string, NodeBounds>;

export interface ComputeBoundsOptions {
  /**
   * What is known of a `@checkpoint` (a CheckpointCache's `lookup` or `peek`). The calculus never reads files
   * itself: it runs on the server's request path. Without this, checkpoints are not used (a note says so).
   */
  checkpoints?: (path: string) => CheckpointLookup | undefined;
}

/** Layer types whose kernel is a 2-D matrix in a checkpoint, matched to kernels by order. */
const DENSE_TYPES = new Set(['dense', 'SpectralDense']);
const CONV_TYPES = new Set(['conv2d', 'SpectralConv2D']);

export function computeBounds(fileIr: FileIr, options: ComputeBoundsOptions = {}): BoundsMap {
  const out: BoundsMap = new Map();
  const ctx = { customLayers: fileIr.customLayers };
  for (const model of fileIr.models) {
    const { weights, note } = checkpointWeights(model, options);
    const shape = model.inputShape;
    const inputRank = shape?.length === 1 ? 2 : shape?.length === 3 ? 4 : undefined;
    const body = nodeBounds(model.body, out, (layer) =>
      layerBounds(layer, { ...ctx, inputRank, weights: weights.get(layer.id) }),
    );
    const modelBounds = { ...body, notes: note ? [...body.notes, note] : body.notes };
    out.set(model.id, modelBounds);
    addDomainBounds(model, out, inputRank);
  }
  for (const layer of fileIr.looseLayers) out.set(layer.id, layerBounds(layer, ctx));
  return out;
}

function checkpointWeights(
  model: ModelNode,
  options: ComputeBoundsOptions,
): { weights: Map<string, LayerWeights>; note?: string } {
  const weights = new Map<string, LayerWeights>();
  if (model.checkpoint === undefined) return { weights };
  const found = options.checkpoints?.(model.checkpoint);
  if (found === undefined)
    return { weights, note: `checkpoint ${model.checkpoint} not used: no checkpoint reader here` };
  if (found.state === 'pending') return { weights, note: `pending: reading checkpoint ${model.checkpoint}` };
  if (found.state === 'failed') return { weights, note: `checkpoint not read: ${found.reason}` };
  const { dense: norms, conv: convNorms } = found.norms;
  const dense: LayerNode[] = [];
  const convs: LayerNode[] = [];
  walk(model.body, (n) => {
    if (n.kind === 'layer' && DENSE_TYPES.has(n.layerType)) dense.push(n);
    if (n.kind === 'layer' && CONV_TYPES.has(n.layerType)) convs.push(n);
  });
  // tfjs names weights `<layerName>/kernel`; the IR has no runtime names, so order within the kind decides. A
  // conv kernel's bound is its operator norm for every input size and padding (stride 1 bounds strided use).
  const notes: string[] = [];
  const match = (layers: LayerNode[], found: KernelNorm[], kind: string): void => {
    layers.forEach((layer, i) => {
      const k = found[i];
      if (k?.sigma !== undefined) weights.set(layer.id, { sigma: k.sigma, name: k.name });
      else if (k?.why !== undefined) notes.push(k.why);
    });
    if (layers.length !== found.length)
      notes.push(
        `checkpoint has ${plural(found.length, `${kind} kernel`)} for ${plural(layers.length, `${kind} layer`)}: matched by order`,
      );
  };
  match(dense, norms, 'dense');
  if (convs.length > 0 || convNorms.length > 0) match(convs, convNorms, 'conv');
  const note = notes.length > 0 ? notes.join('; ') : undefined;
  return note ? { weights, note } : { weights };
}

function nodeBounds(node: IrNode, out: BoundsMap, ofLayer: (layer: LayerNode) => NodeBounds): NodeBounds {
  let b: NodeBounds;
  if (node.kind === 'layer') b = ofLayer(node);
  else if (node.kind === 'op') b = opBounds(node);
  else
    b = blockBounds(
      node,
      node.children.map((c) => nodeBounds(c, out, ofLayer)),
    );
  out.set(node.id, b);
  return b;
}

function product(children: readonly NodeBounds[], dir: 'forward' | 'inverse'): Bound {
  return productOf(children.map((c) => c[dir]));
}

function factors(children: readonly NodeBounds[], dir: 'forward' | 'inverse'): string {
  return children.map((c) => formatBound(c[dir])).join(' × ');
}

function notesOf(children: readonly NodeBounds[]): string[] {
  return [...new Set(children.flatMap((c) => c.notes))];
}

export function blockBounds(block: BlockNode, children: readonly NodeBounds[]): NodeBounds {
  const lip = product(children, 'forward');
  const l = formatBound(lip);
  switch (block.wiring) {
    case 'sequence': {
      const forward = product(children, 'forward');
      const inverse = product(children, 'inverse');
      const source =
        children.length === 1
          ? children[0]!.source
          : `product over ${children.length} layers: forward ${factors(children, 'forward')}, inverse ${factors(children, 'inverse')}`;
      return { forward, inverse, source, notes: notesOf(children) };
    }
    case 'residual': {
      const source =
        typeof lip === 'number'
          ? lip < 1
            ? `1 + L / 1/(1-L) with L=${l}: Lip(g) < 1 certified (i-ResNet)`
            : `1 + L with L=${l}; inverse unknown since L >= 1 (x + g(x) need not be invertible)`
          : `residual with branch Lipschitz ${l}: Lip(g) < 1 not certified, so no inverse bound`;
      return {
        forward: residualForward(lip),
        inverse: residualInverse(lip),
        source,
        notes: notesOf(children),
      };
    }
    case 'additive-coupling':
      return { ...additiveCouplingBounds(lip), notes: notesOf(children) };
    case 'affine-coupling': {
      const scale = blockScaleBounds(block);
      return {
        ...scale,
        source: `${scale.source}; conditioner Lipschitz ${l}`,
        notes: [...scale.notes, ...notesOf(children)],
      };
    }
    case 'choice': {
      // The layer is one of the children: a bound is the largest of theirs, and unknown if any is.
      const max = (dir: 'forward' | 'inverse'): Bound => {
        const all = children.map((c) => c[dir]);
        if (all.length === 0 || all.includes('unknown')) return 'unknown';
        if (all.includes('unbounded')) return 'unbounded';
        return Math.max(...(all as number[]));
      };
      return {
        forward: max('forward'),
        inverse: max('inverse'),
        source: `one of ${children.length} alternatives chosen at run time: the largest bound`,
        notes: notesOf(children),
      };
    }
    case 'multi-scale':
      // Each child is a level (the product over its steps); the levels compose by B_i = L_i max(1, B_next).
      return { ...multiScaleStatic(children), notes: notesOf(children) };
    case 'graph':
      return {
        forward: 'unknown',
        inverse: 'unknown',
        source: 'graph wiring not fully recognised',
        notes: notesOf(children),
      };
  }
}
