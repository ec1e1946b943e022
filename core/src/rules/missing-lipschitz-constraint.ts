import { layerConstraint, WEIGHTED_LAYERS } from '../bounds/config';
import type { CustomLayerInfo, LayerNode } from '../ir/model-ir';
import { addSpectralConstraintFix } from './fixes';
import { customClassOf, forEachLayer, intentReason, layerLabel, type Placement } from './placement';
import { defineRule, type Severity } from './rule';

const id = 'missing-lipschitz-constraint';

type MessageId = 'inResidualBranch' | 'inInvertible' | 'inConditioner' | 'inLipschitzModel' | 'unconstrained';

/** Layer types the spectral-norm fix applies to (a kernel of rank 2 or a convolution kernel). */
const FIXABLE = new Set(['dense', 'conv1d', 'conv2d', 'conv3d', 'conv2dTranspose', 'conv3dTranspose']);

/**
 * By the model's intent: a residual branch of an invertible model must be contractive (error); a conditioner is
 * never inverted (info); a Lipschitz-bounded model needs every layer bounded (warning); elsewhere, including the
 * skip connections of an ordinary ResNet, the missing bound is only worth knowing (info).
 */
function grade(p: Placement): { messageId: MessageId; severity: Severity } {
  if (p.invertible && p.coupling) return { messageId: 'inConditioner', severity: 'info' };
  if (p.invertible && p.residual) return { messageId: 'inResidualBranch', severity: 'error' };
  if (p.invertible && p.unknownRole) return { messageId: 'unconstrained', severity: 'info' };
  if (p.invertible) return { messageId: 'inInvertible', severity: 'error' };
  if (p.needsLipschitz) return { messageId: 'inLipschitzModel', severity: 'warning' };
  return { messageId: 'unconstrained', severity: 'info' };
}

/** Ops that apply a learned matrix or kernel to the input. */
const LINEAR_OPS = new Set([
  'matMul',
  'dot',
  'conv1d',
  'conv2d',
  'conv3d',
  'conv2dTranspose',
  'depthwiseConv2d',
]);

/**
 * A custom layer whose own weights form a linear map that nothing bounds. Not: a parametric activation
 * (LipSwish's beta), or an invertible layer's learned scale or matrix (ActNorm, a 1x1 convolution), whose inverse
 * gain is unbounded-inverse-gain's concern.
 */
function learnsLinearMap(info: CustomLayerInfo): boolean {
  if (!info.weighted || info.hasInverse || info.claimsInvertible) return false;
  return info.ops.some((op) => LINEAR_OPS.has(op.op));
}

/** Unconstrained means: no constraint at all, or one that bounds nothing (`nonNeg`). Column norms are rule 2. */
function isUnconstrained(layer: LayerNode, customWeighted: boolean): boolean {
  if (customWeighted) return true;
  // A spread or unreadable config may hold the constraint: not known, so not reported.
  if (layer.configUnknown) return false;
  const c = layerConstraint(layer);
  return c !== undefined && (c.kind === 'none' || c.kind === 'other');
}

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description: 'Weighted layers need a spectral-norm constraint wherever a Lipschitz bound is required.',
    },
    messages: {
      inResidualBranch:
        '{{layer}} has no Lipschitz constraint in a residual branch. x + g(x) is invertible, with inverse bound 1/(1 - Lip(g)), only if Lip(g) < 1, and Lip(g) here depends on the trained weights.',
      inInvertible:
        "{{layer}} has no Lipschitz constraint on an invertible model's main path. In '{{model}}' its forward and inverse bounds depend on the trained weights.",
      inConditioner:
        '{{layer}} has no Lipschitz constraint in a coupling conditioner. A conditioner is never inverted, so invertibility does not depend on it.',
      inLipschitzModel:
        "{{layer}} has no Lipschitz constraint in a Lipschitz-bounded model. Model '{{model}}' is {{reason}}.",
      unconstrained:
        '{{layer}} has no Lipschitz constraint. Its Lipschitz constant depends on the trained weights.',
    },
    defaultSeverity: 'error',
  },
  check(context) {
    const { fileIr } = context;
    const visit = (layer: LayerNode, placement: Placement): void => {
      const custom = customClassOf(layer, fileIr);
      const customWeighted = custom !== undefined && layer.origin === 'custom' && learnsLinearMap(custom);
      if (!isUnconstrained(layer, customWeighted)) return;
      const { messageId, severity } = grade(placement);
      const key = WEIGHTED_LAYERS[layer.layerType] ?? 'kernelConstraint';
      const fix = FIXABLE.has(layer.layerType)
        ? addSpectralConstraintFix(context.sourceFor(layer.range), layer, key)
        : undefined;
      context.report({
        messageId,
        severity,
        node: layer,
        data: {
          layer: layerLabel(layer),
          model: placement.model?.name ?? '',
          reason: intentReason(placement.model),
        },
        ...(placement.model ? { model: placement.model } : {}),
        ...(fix ? { fix } : {}),
      });
    };
    forEachLayer(fileIr, visit);
  },
});
