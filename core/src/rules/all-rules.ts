import { rule as batchnormInInvertible } from './batchnorm-in-invertible';
import { rule as columnNormNotSpectral } from './column-norm-not-spectral';
import { rule as customLayerMissingInverse } from './custom-layer-missing-inverse';
import { rule as missingLipschitzConstraint } from './missing-lipschitz-constraint';
import { rule as nonInvertibleOpInFlow } from './non-invertible-op-in-flow';
import { rule as nonLipschitzActivation } from './non-lipschitz-activation';
import { rule as residualCoefficientTooLarge } from './residual-coefficient-too-large';
import type { RuleModule } from './rule';
import { rule as unboundedCouplingScale } from './unbounded-coupling-scale';
import { rule as unboundedInverseGain } from './unbounded-inverse-gain';

/** Every rule by id, in catalogue order (docs/rules/README.md). */
export const allRules: Readonly<Record<string, RuleModule>> = {
  [missingLipschitzConstraint.id]: missingLipschitzConstraint,
  [columnNormNotSpectral.id]: columnNormNotSpectral,
  [residualCoefficientTooLarge.id]: residualCoefficientTooLarge,
  [unboundedCouplingScale.id]: unboundedCouplingScale,
  [batchnormInInvertible.id]: batchnormInInvertible,
  [unboundedInverseGain.id]: unboundedInverseGain,
  [nonInvertibleOpInFlow.id]: nonInvertibleOpInFlow,
  [customLayerMissingInverse.id]: customLayerMissingInverse,
  [nonLipschitzActivation.id]: nonLipschitzActivation,
};
