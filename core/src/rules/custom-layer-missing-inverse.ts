import type { CustomLayerInfo, ModelNode } from '../ir/model-ir';
import { customClassOf, forEachLayer } from './placement';
import { defineRule, type RelatedInfo } from './rule';

const id = 'custom-layer-missing-inverse';

type MessageId = 'usedInInvertible' | 'invertibleWiring' | 'claimsInvertible';

function isSelf(model: ModelNode, info: CustomLayerInfo): boolean {
  return model.api === 'custom-layer' && model.name === info.className;
}

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description: 'Custom layers in invertible models must define inverse().',
    },
    messages: {
      usedInInvertible:
        "Custom layer {{className}} has no inverse(), so its model cannot be inverted. It is used on the main path of invertible model '{{model}}'.",
      invertibleWiring:
        'Custom layer {{className}} computes an invertible block but has no inverse(). Its wiring is {{wiring}}; models using it cannot be inverted.',
      claimsInvertible:
        'Custom layer {{className}} declares itself invertible but has no inverse(). Models using it cannot be inverted.',
    },
    defaultSeverity: 'error',
  },
  check(context) {
    const uses = new Map<CustomLayerInfo, { model: ModelNode; related: RelatedInfo[] }>();
    forEachLayer(context.fileIr, (layer, placement) => {
      const info = customClassOf(layer, context.fileIr);
      if (info === undefined || info.hasInverse || !placement.mainPath || placement.model === undefined)
        return;
      const prior = uses.get(info);
      const selfModel = placement.model.api === 'custom-layer' && placement.model.name === info.className;
      // A use in a real model wins over the class's own pseudo-model.
      if (prior && selfModel) return;
      const use = prior && !isSelf(prior.model, info) ? prior : { model: placement.model, related: [] };
      use.related.push({ message: `used in '${placement.model.name}'`, range: layer.range });
      uses.set(info, use);
    });
    for (const info of context.fileIr.customLayers) {
      if (info.hasInverse) continue;
      const use = uses.get(info);
      const self = use !== undefined && isSelf(use.model, info);
      if (use && !self) {
        context.report({
          node: info,
          messageId: 'usedInInvertible',
          data: { className: info.className, model: use.model.name },
          related: use.related,
          model: use.model,
        });
      } else if (info.claimsInvertible) {
        context.report({ node: info, messageId: 'claimsInvertible', data: { className: info.className } });
      } else if (self) {
        // The extractor treats a self-contained coupling/residual class as its own invertible model.
        context.report({
          node: info,
          messageId: 'invertibleWiring',
          data: { className: info.className, wiring: info.wiring ?? 'invertible' },
        });
      }
    }
  },
});
