/**
 * Where a node sits and what its model is meant to be, which is what most rules grade by: the same
 * unconstrained dense layer is an error in an i-ResNet's residual branch, a warning in a Wasserstein critic and
 * information in a classifier or a coupling's conditioner.
 */
import type {
  BlockNode,
  CustomLayerInfo,
  FileIr,
  IntentKind,
  IrNode,
  LayerNode,
  ModelNode,
} from '../ir/model-ir';
import { describeIntent, walk } from '../ir/model-ir';

export interface Placement {
  model?: ModelNode;
  ancestors: readonly BlockNode[];
  /** What the model is meant to be; `ordinary` outside any model. */
  intent: IntentKind;
  /** Innermost enclosing residual block: the node is part of its branch g in x + g(x). */
  residual?: BlockNode;
  /** Innermost enclosing coupling block: the node is part of its conditioner, which is never inverted. */
  coupling?: BlockNode;
  /**
   * Inside a block whose wiring was not recognised (`graph`): whether the node is on the inverted path or in a
   * conditioner is not known, so nothing is graded as if it were on the main path.
   */
  unknownRole: boolean;
  invertible: boolean;
  needsLipschitz: boolean;
  /**
   * A Lipschitz bound is required here: an invertible model outside its conditioners and unrecognised blocks (its
   * residual branches included), or a Lipschitz-bounded model anywhere.
   */
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
  const unknownRole = ancestors.some((b) => b.wiring === 'graph');
  const intent = model?.intent.kind ?? 'ordinary';
  const invertible = intent === 'invertible';
  const needsLipschitz = intent === 'lipschitz';
  return {
    model,
    ancestors,
    intent,
    residual,
    coupling,
    unknownRole,
    invertible,
    needsLipschitz,
    needsBound:
      (invertible && coupling === undefined && (!unknownRole || residual !== undefined)) || needsLipschitz,
    mainPath: invertible && residual === undefined && coupling === undefined && !unknownRole,
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

/** Why the model is what it is, for messages: "invertible (contains an affine coupling)". */
export function intentReason(model: ModelNode | undefined): string {
  return model ? describeIntent(model.intent) : 'ordinary (outside any model)';
}

/** The layer's name for messages: `dense`, `conv2d`, `MyLayer`. */
export function layerLabel(layer: LayerNode): string {
  return layer.origin === 'tfjs' ? `tf.layers.${layer.layerType}` : layer.layerType;
}
