import { configNumber, layerConstraint } from '../bounds/config';
import { formatNumber } from '../bounds/bound';
import { replaceWithSpectralFix } from './fixes';
import { forEachLayer, layerLabel } from './placement';
import { defineRule } from './rule';

const id = 'column-norm-not-spectral';

type MessageId = 'columnNorm' | 'columnNormWithBound';

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description:
        'maxNorm/unitNorm/minMaxNorm bound each column, not the spectral norm: the layer may still be far from 1-Lipschitz.',
    },
    messages: {
      columnNormWithBound:
        "{{constraint}} bounds the {{layer}} kernel's columns, not its spectral norm. Each column's L2 norm is bounded, so the Lipschitz constant is only bounded by sqrt({{units}}) × {{maxValue}} = {{bound}} (the Frobenius bound).",
      columnNorm:
        "{{constraint}} bounds the {{layer}} kernel's columns, not its spectral norm. Each column's L2 norm is bounded, so the Lipschitz constant can reach sqrt(fan-out) × {{maxValue}}.",
    },
    defaultSeverity: 'warning',
  },
  check(context) {
    forEachLayer(context.fileIr, (layer, placement) => {
      const c = layerConstraint(layer);
      if (c?.kind !== 'column') return;
      const units = layer.layerType === 'dense' ? configNumber(layer.config, 'units') : undefined;
      const range = c.call?.range ?? layer.range;
      const data = { constraint: c.name, layer: layerLabel(layer), maxValue: formatNumber(c.maxValue) };
      context.report({
        range,
        severity: placement.needsBound ? 'warning' : 'hint',
        ...(units === undefined
          ? { messageId: 'columnNorm', data }
          : {
              messageId: 'columnNormWithBound',
              data: { ...data, units, bound: formatNumber(Math.sqrt(units) * c.maxValue) },
            }),
        // A string identifier ('maxNorm') has no range of its own: only calls are replaced.
        ...(c.call ? { fix: replaceWithSpectralFix(context.sourceFor(c.call.range), c.call.range) } : {}),
      });
    });
  },
});
