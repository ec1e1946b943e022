import { actNormScaleBound } from '../bounds/config';
import type { LayerNode } from '../ir/model-ir';
import { BOUNDED_ACTNORM_CALL, replaceLayerFix } from './fixes';
import { forEachLayer, layerLabel } from './placement';
import { defineRule, docsUrl, type FixData } from './rule';
import type { SourceText } from './source-text';

const id = 'batchnorm-in-invertible';

type MessageId = 'batchNorm' | 'batchNormInBranch' | 'unboundedScale' | 'unboundedLinear';

const NORMALISATIONS = new Set(['batchNormalization', 'layerNormalization']);
/**
 * LU-parameterised maps: no option bounds them, since even a bounded diagonal of U leaves sigma_min(W) free
 * (the triangular factors can be arbitrarily ill-conditioned), so the hint stays.
 */
const LU_LINEAR = new Set(['InvertibleLinear', 'InvertibleConv1x1']);

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
      url: docsUrl(id),
    },
    messages: {
      batchNorm:
        "{{layer}} in invertible model '{{model}}': its inverse gain 1/min(gamma/sqrt(var + eps)) is unbounded as training drives a scale towards 0, and batch statistics differ between training and inversion. Use ActNorm with a bounded scale.",
      batchNormInBranch:
        '{{layer}} in a residual branch: its gain gamma/sqrt(var + eps) is learned and unbounded, so Lip(g) < 1 cannot be guaranteed.',
      unboundedScale:
        '{{layer}} has no bound on its learned scale: its inverse gain grows without limit if the scale approaches 0. Give it a numeric scaleBound M > 1 to keep every scale in [1/M, M].',
      unboundedLinear:
        '{{layer}} learns an unconstrained linear map: its inverse gain 1/sigma_min(W) grows without limit as W approaches singular (the LU diagonal does not bound sigma_min).',
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
      } else if (!placement.mainPath) {
        return;
      } else if (layer.layerType === 'ActNorm' && actNormScaleBound(layer) === undefined) {
        // A scaleBound whose value is unknown (or invalid) keeps the hint: the bound is never guessed.
        context.report({ node: layer, data, messageId: 'unboundedScale', severity: 'hint' });
      } else if (LU_LINEAR.has(layer.layerType)) {
        context.report({ node: layer, data, messageId: 'unboundedLinear', severity: 'hint' });
      }
    });
  },
});
