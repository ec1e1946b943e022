/**
 * Specification of InvertibleResidual (core/src/layers/invertible-residual.ts): F(x) = x + g(x), g = n dense maps
 * each held to spectral norm <= coeff, activations of constant <= 1 between them. With L = Lip(g) < 1,
 * Lip(F) <= 1 + L and Lip(F^-1) <= 1 / (1 - L) (Behrmann et al. 2019).
 */
import { formatNumber, residualForward, residualInverse } from '../bounds/bound';
import { oneOfError, type OptionError, positiveIntError, type StaticBounds, type WeightBounds } from './spec';

export type LogDetMode = 'exact' | 'series' | 'auto';
export type ProbeDistribution = 'rademacher' | 'gaussian';
export const LOG_DET_MODES: readonly LogDetMode[] = ['exact', 'series', 'auto'];

export const INVERTIBLE_RESIDUAL_DEFAULTS = {
  coeff: 0.9,
  activation: 'elu',
  inverseTolerance: 1e-6,
  maxInverseIterations: 100,
  logDet: 'auto' as LogDetMode,
  seriesTerms: 10,
  hutchinsonSamples: 1,
  probeDistribution: 'rademacher' as ProbeDistribution,
  powerIterations: 1,
  initialPowerIterations: 30,
} as const;

export interface InvertibleResidualChecked {
  hiddenUnits: unknown;
  coeff: number;
  activation: string;
  inverseTolerance: number;
  maxInverseIterations: number;
  logDet: unknown;
  seriesTerms: number;
  hutchinsonSamples: number;
  probeDistribution: unknown;
}

/**
 * The first error the layer's constructor throws, in its order; undefined when accepted. `activationLipschitz`
 * looks the activation up (it may throw for an unknown name, as the layer does).
 */
export function invertibleResidualError(
  o: InvertibleResidualChecked,
  activationLipschitz: (name: string) => number,
): OptionError | undefined {
  if (!Array.isArray(o.hiddenUnits)) return 'hiddenUnits must be an array of widths';
  for (const h of o.hiddenUnits as number[]) {
    const e = positiveIntError('each hiddenUnits entry', h);
    if (e) return e;
  }
  if (!(o.coeff > 0 && o.coeff < 1)) {
    return `coeff must be in (0, 1) for the block to be invertible, got ${o.coeff}`;
  }
  if (activationLipschitz(o.activation) > 1) return `activation '${o.activation}' is not 1-Lipschitz`;
  if (!(o.inverseTolerance > 0)) return `inverseTolerance must be > 0, got ${o.inverseTolerance}`;
  return (
    positiveIntError('maxInverseIterations', o.maxInverseIterations) ??
    oneOfError('logDet', LOG_DET_MODES, o.logDet) ??
    positiveIntError('seriesTerms', o.seriesTerms) ??
    positiveIntError('hutchinsonSamples', o.hutchinsonSamples) ??
    (o.probeDistribution !== 'rademacher' && o.probeDistribution !== 'gaussian'
      ? `probeDistribution must be 'rademacher' or 'gaussian', got '${String(o.probeDistribution)}'`
      : undefined)
  );
}

/** Lip(g) <= product of the dense maps' norms times the activation constant between each pair. */
export function residualBranchLipschitz(kernelNorms: readonly number[], activationLipschitz: number): number {
  return kernelNorms.reduce((l, n) => l * n, activationLipschitz ** Math.max(0, kernelNorms.length - 1));
}

/** 1 + L forward, 1 / (1 - L) inverse (Infinity when L >= 1). */
export function residualFromLipschitz(l: number): WeightBounds {
  const inverse = residualInverse(l);
  return { forward: residualForward(l) as number, inverse: typeof inverse === 'number' ? inverse : Infinity };
}

/** From the weights: the dense maps' operator norms (after normalisation) and the activation's constant. */
export function invertibleResidualFromWeights(
  kernelNorms: readonly number[],
  activationLipschitz: number,
): WeightBounds {
  return residualFromLipschitz(residualBranchLipschitz(kernelNorms, activationLipschitz));
}

/**
 * From the options: each of the `depth` maps (hiddenUnits.length + 1) has norm <= coeff, so L <= coeff^depth
 * a^(depth - 1). Unknown depth: coeff < 1 and a <= 1 make depth 1 the weakest statement.
 */
export function invertibleResidualStatic(o: {
  coeff: number;
  depth: number | undefined;
  activationLipschitz: number | undefined;
}): StaticBounds & { lip: number } {
  const depth = o.depth ?? 1;
  const a = Math.min(o.activationLipschitz ?? 1, 1);
  const lip = residualBranchLipschitz(Array<number>(depth).fill(o.coeff), a);
  const c = formatNumber(o.coeff);
  const how = depth === 1 ? `c=${c}` : `c^${depth} with c=${c}`;
  const b = residualFromLipschitz(lip);
  return {
    forward: b.forward,
    // L >= 1 proves no inverse bound, and no absence of one either.
    inverse: Number.isFinite(b.inverse) ? b.inverse : 'unknown',
    source:
      lip < 1
        ? `1 + L / 1/(1-L) with L=${formatNumber(lip)} = ${how}: Lip(g) < 1 certified (i-ResNet)`
        : `1 + L with L=${formatNumber(lip)} = ${how}: Lip(g) < 1 not certified, so no inverse bound`,
    notes: [],
    lip,
  };
}
