import { formatNumber, type NodeBounds, fixedPointIterations } from '../bounds/bound';
import { coefficientOf, layerConstraint, SPECTRAL_LAYERS } from '../bounds/config';
import type { LayerNode, SourceRange } from '../ir/model-ir';
import { invertibleResidualLipschitz } from '../bounds/layer-bounds';
import { lowerCoefficientFix } from './fixes';
import { forEachLayer, layerLabel } from './placement';
import { defineRule } from './rule';

const id = 'residual-coefficient-too-large';

type MessageId = 'notContractive' | 'nearOne' | 'branchNotContractive';

interface Options {
  /** Coefficients above this (and below 1) warn. */
  threshold: number;
  /** Fixed-point tolerance used to state the iteration count. */
  tolerance: number;
}

const COEFF_KEYS = ['c', 'coeff', 'coefficient'];

/** The coefficient a layer is held to and where it is written, if it is spectrally constrained. */
function coefficient(layer: LayerNode): { c: number; range: SourceRange } | undefined {
  if (layer.layerType === 'InvertibleResidual') {
    const r = invertibleResidualLipschitz(layer);
    return 'unreadable' in r ? undefined : { c: r.coeff, range: layer.range };
  }
  if (SPECTRAL_LAYERS.has(layer.layerType)) {
    const c = coefficientOf(layer);
    return c === undefined ? undefined : { c, range: layer.range };
  }
  const k = layerConstraint(layer);
  if (k?.kind !== 'spectral' || k.c === undefined) return undefined;
  return { c: k.c, range: k.call?.range ?? layer.range };
}

export const rule = defineRule<MessageId, Options>({
  id,
  meta: {
    docs: {
      description:
        'Residual branches need Lip(g) < 1 to be invertible; coefficients close to 1 make the inverse slow and unstable.',
    },
    messages: {
      notContractive:
        '{{layer}} coefficient c={{c}} >= 1: x + g(x) may not be invertible. A residual block is only guaranteed invertible when Lip(g) < 1, and its fixed-point inverse may diverge.',
      nearOne:
        '{{layer}} coefficient c={{c}} is close to 1: the inverse takes {{iterations}} steps. In this residual branch L = {{lip}}, so the inverse bound is 1/(1 - L) = {{inverse}} and the fixed-point inverse needs k = ceil(log({{tolerance}}) / log(L)) iterations.',
      branchNotContractive:
        '{{layer}} is in a residual branch bounded only by L = {{lip}} >= 1. Its coefficient c={{c}} is close to 1 and the layers around it multiply it, so nothing bounds the inverse: x + g(x) is only guaranteed invertible when Lip(g) < 1.',
    },
    defaultSeverity: 'warning',
    schema: {
      type: 'object',
      properties: {
        threshold: { type: 'number', description: 'Warn above this coefficient (default 0.95).', minimum: 0 },
        tolerance: {
          type: 'number',
          description: 'Fixed-point tolerance for the iteration count (default 1e-6).',
        },
      },
      additionalProperties: false,
    },
    defaultOptions: { threshold: 0.95, tolerance: 1e-6 },
  },
  check(context) {
    const { threshold, tolerance } = context.options;
    forEachLayer(context.fileIr, (layer, placement) => {
      // An InvertibleResidual is a residual block by itself; other layers count inside a residual branch.
      const isBlock = layer.layerType === 'InvertibleResidual';
      // A coupling's conditioner is never inverted: its residual blocks need no Lip(g) < 1.
      if (placement.coupling) return;
      // A skip connection only needs Lip(g) < 1 where the model must be inverted.
      if (!isBlock && (placement.residual === undefined || !placement.invertible)) return;
      const found = coefficient(layer);
      if (found === undefined || found.c <= threshold) return;
      const { c, range } = found;
      const fix = lowerCoefficientFix(context.sourceFor(range), range, COEFF_KEYS);
      const common = {
        range,
        ...(fix ? { fix } : {}),
        ...(placement.model ? { model: placement.model } : {}),
      };
      if (c >= 1) {
        context.report({
          ...common,
          messageId: 'notContractive',
          severity: 'error',
          data: { layer: layerLabel(layer), c: formatNumber(c) },
        });
        return;
      }
      // The branch's bound from the calculus when it is known, else this layer's coefficient alone.
      const branch: NodeBounds | undefined = placement.residual && context.bounds.get(placement.residual.id);
      const branchLip = branch && typeof branch.forward === 'number' ? branch.forward - 1 : undefined;
      const own = isBlock ? invertibleResidualLipschitz(layer) : undefined;
      const lip = own
        ? 'lip' in own
          ? own.lip
          : c
        : branchLip !== undefined && branchLip > 0
          ? branchLip
          : c;
      // A branch bound >= 1 proves nothing about the inverse: 1/(1 - L) would be negative, not a bound.
      if (lip >= 1) {
        context.report({
          ...common,
          messageId: 'branchNotContractive',
          severity: 'warning',
          data: { layer: layerLabel(layer), c: formatNumber(c), lip: formatNumber(lip) },
        });
        return;
      }
      const iterations = fixedPointIterations(lip, tolerance);
      context.report({
        ...common,
        messageId: 'nearOne',
        severity: 'warning',
        data: {
          layer: layerLabel(layer),
          c: formatNumber(c),
          lip: formatNumber(lip),
          inverse: formatNumber(1 / (1 - lip)),
          tolerance: String(tolerance),
          iterations: String(iterations),
        },
        ...(placement.residual?.anchor
          ? { related: [{ message: 'the residual connection', range: placement.residual.anchor }] }
          : {}),
      });
    });
  },
});
