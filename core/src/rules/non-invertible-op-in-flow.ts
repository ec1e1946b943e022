import { configString, inputWidth, outputWidth } from '../bounds/config';
import type { IrNode, LayerNode } from '../ir/model-ir';
import { forEachNode, layerLabel } from './placement';
import { defineRule } from './rule';

const id = 'non-invertible-op-in-flow';

type MessageId = 'notInjective' | 'dropout' | 'pooling' | 'dimensionChange';

const NOT_INJECTIVE = new Set(['relu', 'relu6']);
const POOLING = /^(global)?(max|average)Pooling[123]d$/;
const POOL_OPS = new Set(['maxPool', 'avgPool', 'maxPool3d', 'avgPool3d', 'pool']);

function activationOf(node: IrNode): string | undefined {
  if (node.kind === 'op') return node.op;
  if (node.kind !== 'layer') return undefined;
  if (node.layerType === 'reLU') return 'relu';
  return configString(node.config, 'activation');
}

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description: 'Every step on the main path of an invertible model must be a bijection.',
    },
    messages: {
      notInjective:
        "{{what}} is not injective, so the model has no inverse. It maps every negative input to 0, on the main path of invertible model '{{model}}'.",
      dropout:
        "{{what}} on the main path is not invertible while training. It zeroes random units during training, so invertible model '{{model}}' has no inverse then.",
      pooling:
        "{{what}} on the main path has no inverse. It discards values, so invertible model '{{model}}' cannot be inverted.",
      dimensionChange:
        "{{what}} changes the dimension from {{from}} to {{to}}. On the main path of invertible model '{{model}}', a map between spaces of different dimension is not a bijection.",
    },
    defaultSeverity: 'error',
  },
  check(context) {
    // Widths along each model's main path, to spot dense layers that change the dimension.
    const width = new Map<string, number>();
    forEachNode(context.fileIr, (node, placement) => {
      if (!placement.mainPath || placement.model === undefined) return;
      const model = placement.model;
      const data = {
        model: model.name,
        what: node.kind === 'layer' ? layerLabel(node) : node.kind === 'op' ? `tf.${node.op}` : '',
      };
      const act = activationOf(node);
      if (act !== undefined && NOT_INJECTIVE.has(act)) {
        const what =
          node.kind === 'layer' && node.layerType !== 'reLU' && node.layerType !== 'activation'
            ? `${data.what} with activation '${act}'`
            : data.what;
        context.report({ node, messageId: 'notInjective', data: { ...data, what } });
      }
      if (node.kind === 'op' && POOL_OPS.has(node.op)) context.report({ node, messageId: 'pooling', data });
      if (node.kind === 'op' && node.op === 'dropout') context.report({ node, messageId: 'dropout', data });
      if (node.kind !== 'layer') return;
      if (node.layerType === 'dropout') context.report({ node, messageId: 'dropout', data });
      if (POOLING.test(node.layerType)) context.report({ node, messageId: 'pooling', data });
      trackWidth(node, model.id, width, (from, to) =>
        context.report({ node, messageId: 'dimensionChange', data: { ...data, from, to } }),
      );
    });
  },
});

/** Follows the feature width along the main path; only dense layers are judged (convs keep spatial size unclear). */
function trackWidth(
  layer: LayerNode,
  modelId: string,
  width: Map<string, number>,
  changed: (from: number, to: number) => void,
): void {
  const given = inputWidth(layer);
  if (given !== undefined) width.set(modelId, given);
  const out = outputWidth(layer);
  if (layer.layerType !== 'dense' && layer.layerType !== 'SpectralDense') {
    // Layers that may change the width in ways we do not model reset the tracking.
    if (out !== undefined || layer.layerType === 'flatten' || layer.layerType === 'reshape')
      width.delete(modelId);
    return;
  }
  const current = width.get(modelId);
  if (out === undefined) {
    width.delete(modelId);
    return;
  }
  if (current !== undefined && current !== out) changed(current, out);
  width.set(modelId, out);
}
