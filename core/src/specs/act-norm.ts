/**
 * Specification of ActNorm (core/src/layers/act-norm.ts): y = (x + bias) * scale per channel, a diagonal map, so
 * forward max |scale| and inverse 1 / min |scale| exactly. With scaleBound M (scaleParam 'log') the stored u gives
 * log scale = log(M) tanh(u), so every scale lies in [1/M, M].
 */
import { formatNumber } from '../bounds/bound';
import { oneOfError, type OptionError, type StaticBounds, type WeightBounds } from './spec';

export type ActNormScaleParam = 'direct' | 'log';
export const ACT_NORM_SCALE_PARAMS: readonly ActNormScaleParam[] = ['direct', 'log'];

export interface ActNormOptions {
  epsilon: number;
  dataInit: boolean;
  scaleParam: ActNormScaleParam;
  /** Undefined: unbounded. */
  scaleBound: number | undefined;
}

export const ACT_NORM_DEFAULTS: Readonly<ActNormOptions> = {
  epsilon: 1e-6,
  dataInit: true,
  scaleParam: 'log',
  scaleBound: undefined,
};

/** The first error the layer's constructor throws, in its order; undefined when accepted. */
export function actNormError(o: {
  epsilon: number;
  scaleParam: unknown;
  scaleBound: number | undefined;
}): OptionError | undefined {
  if (!(o.epsilon > 0)) return `epsilon must be > 0, got ${o.epsilon}`;
  const param = oneOfError('scaleParam', ACT_NORM_SCALE_PARAMS, o.scaleParam);
  if (param) return param;
  if (o.scaleBound === undefined) return undefined;
  if (!(o.scaleBound > 1) || !Number.isFinite(o.scaleBound)) {
    return `scaleBound must be a finite number > 1, got ${o.scaleBound}`;
  }
  if (o.scaleParam !== 'log') return `scaleBound needs scaleParam 'log', got '${String(o.scaleParam)}'`;
  return undefined;
}

/** From the options: M both ways given a scaleBound M; otherwise the trained scale decides. */
export function actNormStatic(o: { scaleBound: number | undefined }): StaticBounds {
  const m = o.scaleBound;
  if (m === undefined) {
    return {
      forward: 'unknown',
      inverse: 'unknown',
      source: 'ActNorm: per-channel scale learned from data; bounds need the trained scale',
      notes: [],
    };
  }
  const ms = formatNumber(m);
  return { forward: m, inverse: m, source: `ActNorm scaleBound ${ms}: scale in [1/${ms}, ${ms}]`, notes: [] };
}

/**
 * From the stored scale weight (its log with 'log'; u with a scaleBound), in float64: forward exp(max log
 * scale), inverse exp(-min log scale); with a scaleBound M both capped at M (exp(log M) can round above M).
 */
export function actNormFromWeights(
  stored: readonly number[],
  o: { scaleParam: ActNormScaleParam; scaleBound: number | undefined },
): WeightBounds {
  if (o.scaleParam === 'log') {
    const m = o.scaleBound;
    const logs = m === undefined ? stored : stored.map((u) => Math.log(m) * Math.tanh(u));
    const forward = Math.exp(Math.max(...logs));
    const inverse = Math.exp(-Math.min(...logs));
    return m === undefined
      ? { forward, inverse }
      : { forward: Math.min(forward, m), inverse: Math.min(inverse, m) };
  }
  const s = stored.map(Math.abs);
  return { forward: Math.max(...s), inverse: 1 / Math.min(...s) };
}
