import { actNormScaleBound } from '../bounds/config';
import { customClassOf, forEachLayer, layerLabel } from './placement';
import { defineRule } from './rule';

const id = 'unbounded-inverse-gain';

type MessageId = 'unboundedScale' | 'unboundedLinear' | 'learnedScale';

/**
 * LU-parameterised maps: no option bounds them, since even a bounded diagonal of U leaves sigma_min(W) free
 * (the triangular factors can be arbitrarily ill-conditioned), so the hint stays.
 */
const LU_LINEAR = new Set(['InvertibleLinear', 'InvertibleConv1x1']);

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description:
        'Invertible layers with a learned scale or matrix (ActNorm without scaleBound, InvertibleLinear, InvertibleConv1x1): the inverse gain 1/min scale is only bounded by the trained weights.',
    },
    messages: {
      unboundedScale:
        '{{layer}} has no bound on its inverse gain: set scaleBound. Its inverse gain 1/min(scale) grows without bound if training drives a scale to 0; scaleBound: M keeps scales in [1/M, M].',
      unboundedLinear:
        '{{layer}} has no bound on its inverse gain: check it from weights. Its inverse gain 1/sigma_min(W) grows without bound as W nears singular (the LU diagonal does not bound it).',
      learnedScale:
        'Scale exp(w) of learned weights w has no bound on its inverse gain. The inverse gain 1/min s is finite for given weights, but training can drive it up; bound w: exp(c · tanh(w / c)).',
    },
    defaultSeverity: 'hint',
  },
  check(context) {
    forEachLayer(context.fileIr, (layer, placement) => {
      if (!placement.mainPath) return;
      const data = { layer: layerLabel(layer) };
      const model = placement.model ? { model: placement.model } : {};
      // A scaleBound whose value is unknown (or invalid) keeps the hint: the bound is never guessed.
      if (layer.layerType === 'ActNorm' && actNormScaleBound(layer) === undefined)
        context.report({ node: layer, data, messageId: 'unboundedScale', ...model });
      else if (LU_LINEAR.has(layer.layerType))
        context.report({ node: layer, data, messageId: 'unboundedLinear', ...model });
    });
    // Hand-written scalings by learned weights (`x * exp(this.logs)`, see scale-form.ts): where the class is an
    // invertible transform, or an invertible model uses it on its main path.
    const onMainPath = new Set<string>();
    forEachLayer(context.fileIr, (layer, placement) => {
      const info = customClassOf(layer, context.fileIr);
      if (info && placement.mainPath) onMainPath.add(info.className);
    });
    for (const info of context.fileIr.customLayers) {
      const invertible = info.wiring?.endsWith('coupling') || info.hasInverse || info.claimsInvertible;
      if (invertible || onMainPath.has(info.className))
        for (const range of info.learnedScales ?? []) context.report({ range, messageId: 'learnedScale' });
    }
  },
});
