import { configString } from '../bounds/config';
import type { LayerNode } from '../ir/model-ir';
import { replaceLayerFix } from './fixes';
import { forEachLayer, layerLabel } from './placement';
import { defineRule, docsUrl, type FixData } from './rule';
import type { SourceText } from './source-text';

const id = 'batchnorm-in-invertible';

type MessageId = 'batchNorm' | 'batchNormInBranch' | 'unboundedScale';

const NORMALISATIONS = new Set(['batchNormalization', 'layerNormalization']);
const LEARNED_LINEAR = new Set(['ActNorm', 'InvertibleLinear', 'InvertibleConv1x1']);
/** Config keys that bound a learned scale or linear map away from 0 (and infinity). */
const BOUND_KEYS = ['scaleBound', 'scaleFloor', 'minScale', 'maxScale', 'minSingularValue', 'conditionBound'];
const BOUNDED_SCALES = new Set(['bounded-tanh', 'sigmoid-floor']);

function hasBound(layer: LayerNode): boolean {
  const scale = configString(layer.config, 'scale');
  return (
    BOUND_KEYS.some((k) => typeof layer.config[k] === 'number') ||
    (scale !== undefined && BOUNDED_SCALES.has(scale))
  );
}

function actNormFix(source: SourceText, layer: LayerNode): FixData | undefined {
  if (layer.layerType !== 'batchNormalization') return undefined;
  return replaceLayerFix(source, layer.range, 'new ActNorm({})', 'ActNorm');
}

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description:
        'BatchNormalization in an invertible model has an unbounded inverse gain; use ActNorm with a bounded scale.',
      url: docsUrl(id),
    },
    messages: {
      batchNorm:
        "{{layer}} in invertible model '{{model}}': its inverse gain 1/min(gamma/sqrt(var + eps)) is unbounded as training drives a scale towards 0, and batch statistics differ between training and inversion. Use ActNorm with a bounded scale.",
      batchNormInBranch:
        '{{layer}} in a residual branch: its gain gamma/sqrt(var + eps) is learned and unbounded, so Lip(g) < 1 cannot be guaranteed.',
      unboundedScale:
        '{{layer}} has no bound on its learned scale: its inverse gain grows without limit if the scale approaches 0.',
    },
    defaultSeverity: 'error',
  },
  check(context) {
    forEachLayer(context.fileIr, (layer, placement) => {
      if (!placement.invertible || placement.coupling) return;
      const data = { layer: layerLabel(layer), model: placement.model?.name ?? '' };
      if (NORMALISATIONS.has(layer.layerType)) {
        const fix = actNormFix(context.source, layer);
        context.report({
          node: layer,
          data,
          ...(placement.residual
            ? { messageId: 'batchNormInBranch', severity: 'warning' }
            : { messageId: 'batchNorm', severity: 'error' }),
          ...(fix ? { fix } : {}),
        });
      } else if (LEARNED_LINEAR.has(layer.layerType) && placement.mainPath && !hasBound(layer)) {
        context.report({ node: layer, data, messageId: 'unboundedScale', severity: 'hint' });
      }
    });
  },
});
