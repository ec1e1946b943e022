import type { LayerNode } from '../ir/model-ir';
import { BOUNDED_ACTNORM_CALL, replaceLayerFix } from './fixes';
import { forEachLayer, layerLabel } from './placement';
import { defineRule, type FixData } from './rule';
import type { SourceText } from './source-text';

const id = 'batchnorm-in-invertible';

type MessageId = 'batchNorm' | 'batchNormInBranch';

const NORMALISATIONS = new Set(['batchNormalization', 'layerNormalization']);
function actNormFix(source: SourceText, layer: LayerNode): FixData | undefined {
  if (layer.layerType !== 'batchNormalization') return undefined;
  return replaceLayerFix(source, layer.range, BOUNDED_ACTNORM_CALL, 'ActNorm');
}

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description:
        'BatchNormalization in an invertible model has an unbounded inverse gain; use ActNorm with a bounded scale.',
    },
    messages: {
      batchNorm:
        "{{layer}} in an invertible model has no bound on its inverse gain. In '{{model}}' its inverse gain 1/min(gamma/sqrt(var + eps)) grows without bound as training drives a scale towards 0, and batch statistics differ between training and inversion. Use ActNorm with a bounded scale.",
      batchNormInBranch:
        '{{layer}} in a residual branch has a learned gain with no bound. Its gain gamma/sqrt(var + eps) is learned, so Lip(g) < 1 cannot be guaranteed.',
    },
    defaultSeverity: 'error',
  },
  check(context) {
    forEachLayer(context.fileIr, (layer, placement) => {
      if (!placement.invertible || placement.coupling || !NORMALISATIONS.has(layer.layerType)) return;
      // In a block whose wiring was not recognised, whether the layer is inverted is not known.
      if (placement.unknownRole && !placement.residual) return;
      const data = { layer: layerLabel(layer), model: placement.model?.name ?? '' };
      const fix = actNormFix(context.sourceFor(layer.range), layer);
      context.report({
        node: layer,
        data,
        ...(placement.residual
          ? { messageId: 'batchNormInBranch', severity: 'warning' }
          : { messageId: 'batchNorm', severity: 'error' }),
        ...(fix ? { fix } : {}),
        ...(placement.model ? { model: placement.model } : {}),
      });
    });
  },
});
