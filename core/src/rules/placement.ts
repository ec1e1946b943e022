/**
 * Where a node sits, which is what most rules grade by: the same unconstrained dense layer is an error in a
 * residual branch, a warning in a critic and a hint in a plain classifier.
 */
import type { BlockNode, CustomLayerInfo, FileIr, IrNode, LayerNode, ModelNode } from '../ir/model-ir';
import { walk } from '../ir/model-ir';

export interface Placement {
  model?: ModelNode;
  ancestors: readonly BlockNode[];
  /** Innermost enclosing residual block: the node is part of its branch g in x + g(x). */
  residual?: BlockNode;
  /** Innermost enclosing coupling block: the node is part of its conditioner, which is never inverted. */
  coupling?: BlockNode;
  invertible: boolean;
  needsLipschitz: boolean;
  /** A Lipschitz bound is required here: residual branch, invertible model or `@lipschitz` model. */
  needsBound: boolean;
  /** On the path that must be inverted: an invertible model, outside branches and conditioners. */
  mainPath: boolean;
}

const COUPLINGS = new Set(['additive-coupling', 'affine-coupling']);

function innermost(ancestors: readonly BlockNode[], test: (b: BlockNode) => boolean): BlockNode | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) if (test(ancestors[i]!)) return ancestors[i];
  return undefined;
}

export function placementOf(model: ModelNode | undefined, ancestors: readonly BlockNode[]): Placement {
  const residual = innermost(ancestors, (b) => b.wiring === 'residual');
  const coupling = innermost(ancestors, (b) => COUPLINGS.has(b.wiring));
  const invertible = model?.invertible ?? false;
  const needsLipschitz = model?.needsLipschitz ?? false;
  return {
    model,
    ancestors,
    residual,
    coupling,
    invertible,
    needsLipschitz,
    needsBound: residual !== undefined || invertible || needsLipschitz,
    mainPath: invertible && residual === undefined && coupling === undefined,
  };
}

/**
 * Visits every node of every model (blocks included), every loose layer, and the layers of custom residual or
 * coupling classes (placed in a block of the class's wiring, no model), with their placement. A custom-layer
 * instance is placed where its block sits, not inside its own branch. Nodes reached twice (a class used in a
 * model) are visited in model context first; reports are deduplicated by position.
 */
export function forEachNode(fileIr: FileIr, visit: (node: IrNode, placement: Placement) => void): void {
  for (const model of fileIr.models) {
    walk(model.body, (node, ancestors) => {
      const own = ancestors[ancestors.length - 1]?.instance === node;
      visit(node, placementOf(model, own ? ancestors.slice(0, -1) : ancestors));
    });
  }
  for (const layer of fileIr.looseLayers) visit(layer, placementOf(undefined, []));
  const used = new Set<string>();
  for (const model of fileIr.models) {
    walk(model.body, (node) => {
      if (node.kind === 'block' && node.instance)
        used.add(node.instance.customClass ?? node.instance.layerType);
    });
  }
  for (const info of fileIr.customLayers) {
    // Classes instantiated in a model were visited there, in a better-informed placement.
    if (!info.layers || info.layers.length === 0 || used.has(info.className)) continue;
    const block: BlockNode = {
      kind: 'block',
      id: `${info.className}#class`,
      wiring: info.wiring ?? 'sequence',
      children: info.layers,
      range: info.range,
    };
    for (const layer of info.layers) visit(layer, placementOf(undefined, [block]));
  }
}

export function forEachLayer(fileIr: FileIr, visit: (layer: LayerNode, placement: Placement) => void): void {
  forEachNode(fileIr, (node, placement) => {
    if (node.kind === 'layer') visit(node, placement);
  });
}

export function customClassOf(layer: LayerNode, fileIr: FileIr): CustomLayerInfo | undefined {
  if (layer.origin !== 'custom' && layer.origin !== 'unknown') return undefined;
  const name = layer.customClass ?? layer.layerType;
  return fileIr.customLayers.find((c) => c.className === name);
}

/** Human-readable reason a model needs a global bound, for messages. */
export function lipschitzReason(model: ModelNode): string {
  return /critic|discriminator/i.test(model.name)
    ? `'${model.name}' is a critic/discriminator`
    : '@lipschitz';
}

/** The layer's name for messages: `dense`, `conv2d`, `MyLayer`. */
export function layerLabel(layer: LayerNode): string {
  return layer.origin === 'tfjs' ? `tf.layers.${layer.layerType}` : layer.layerType;
}
