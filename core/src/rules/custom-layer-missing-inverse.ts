import type { CustomLayerInfo, ModelNode } from '../ir/model-ir';
import { customClassOf, forEachLayer } from './placement';
import { defineRule, docsUrl, type RelatedInfo } from './rule';

const id = 'custom-layer-missing-inverse';

type MessageId = 'usedInInvertible' | 'claimsInvertible';

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description: 'Custom layers in invertible models must define inverse().',
      url: docsUrl(id),
    },
    messages: {
      usedInInvertible:
        "Custom layer {{className}} is used on the main path of invertible model '{{model}}' but defines no inverse() method: the model cannot be inverted.",
      claimsInvertible:
        'Custom layer {{className}} declares itself invertible but defines no inverse() method.',
    },
    defaultSeverity: 'error',
  },
  check(context) {
    const uses = new Map<CustomLayerInfo, { model: ModelNode; related: RelatedInfo[] }>();
    forEachLayer(context.fileIr, (layer, placement) => {
      const info = customClassOf(layer, context.fileIr);
      if (info === undefined || info.hasInverse || !placement.mainPath || placement.model === undefined)
        return;
      const use = uses.get(info) ?? { model: placement.model, related: [] };
      use.related.push({ message: `used in '${placement.model.name}'`, range: layer.range });
      uses.set(info, use);
    });
    for (const info of context.fileIr.customLayers) {
      if (info.hasInverse) continue;
      const use = uses.get(info);
      if (use) {
        context.report({
          node: info,
          messageId: 'usedInInvertible',
          data: { className: info.className, model: use.model.name },
          related: use.related,
        });
      } else if (info.claimsInvertible) {
        context.report({ node: info, messageId: 'claimsInvertible', data: { className: info.className } });
      }
    }
  },
});
