/**
 * Every code an audit finding can carry, with its severity, the threshold that raises it and what it means: one
 * table that findings.ts emits from (a code missing here does not type-check) and docs/audit-findings.md is
 * generated from (core/test/report/finding-codes.test.ts fails when the page and this table differ).
 */

/**
 * Thresholds on measured values. Relative errors of 1% (reconstruction, attack, drift, log-det) are far above
 * float32 rounding of a healthy model (about 1e-6) and small enough to matter to a user; constants past 1e4 lose
 * four of float32's seven digits in a round trip. Probe defaults (probes/probe.ts) read theirs from here.
 */
export const LIMITS = {
  reconstruction: 1e-2,
  attackError: 1e-2,
  inverseWarning: 1e2,
  inverseError: 1e4,
  forwardWarning: 1e3,
  conditionWarning: 1e6,
  driftWarning: 1e-2,
  logDet: 1e-2,
  gradientWarning: 1e-3,
} as const;

export interface FindingCodeDoc {
  /** 'error or warning' where the measured value decides (two thresholds). */
  severity: 'error' | 'warning' | 'error or warning';
  /** The probe that measures it, or where it comes from. */
  source: string;
  threshold: string;
  meaning: string;
}

const pct = (v: number): string => `${v * 100}%`;

export const FINDING_CODES = {
  'audit-failed': {
    severity: 'error',
    source: 'the audit itself',
    threshold:
      'the model did not load, a probe or the worker failed, or the audit was cancelled or ran out of time',
    meaning:
      'The verdict is incomplete: the message says what failed and where; results reached before are kept.',
  },
  'missing-inverse': {
    severity: 'error',
    source: 'intent',
    threshold: 'the code marks the model invertible, and the loaded model has no inverse()',
    meaning: 'Its invertibility could not be checked at all; for an ordinary model this is not raised.',
  },
  'probe-failed': {
    severity: 'warning',
    source: 'any probe',
    threshold: 'the probe threw',
    meaning: 'That probe has no figures; the others still ran. The message says why it failed.',
  },
  'non-invertible': {
    severity: 'error',
    source: 'reconstruction',
    threshold: `relative error |F^-1(F(x)) - x| / |x| > ${pct(LIMITS.reconstruction)} (the reconstruction threshold setting), or NaN/Inf, on a data point`,
    meaning:
      'The inverse is wrong on the data the model is used on: likelihoods, samples and gradients from it are wrong.',
  },
  'non-invertible-in-range': {
    severity: 'error',
    source: 'reconstruction',
    threshold: `relative error > ${pct(LIMITS.reconstruction)}, or NaN/Inf, on an input whose every coordinate lies within the data's [min, max]: uniform in that box, between two data points, or a sweep input that falls inside`,
    meaning:
      "The inverse breaks on inputs as ordinary as the data's own values, only off the data's manifold; a trained affine flow whose scale saturates there fails this while passing on the data.",
  },
  'non-invertible-ood': {
    severity: 'warning',
    source: 'reconstruction',
    threshold: `relative error > ${pct(LIMITS.reconstruction)}, or NaN/Inf, only on inputs outside the data's range (the data scaled up, uniform or structured noise at a multiple of the data's RMS)`,
    meaning:
      'An exploding inverse out of distribution (Behrmann et al. 2021); the message gives, per input kind, the smallest scale at which it starts.',
  },
  'inverse-not-converged': {
    severity: 'error',
    source: 'any probe that inverts',
    threshold:
      'a fixed-point inverse stopped at its iteration cap above its tolerance on the data or inside its range',
    meaning: 'The inverse returns a point that is not F^-1(y), with an error the tolerance does not bound.',
  },
  'inverse-not-converged-ood': {
    severity: 'warning',
    source: 'any probe that inverts',
    threshold: 'as inverse-not-converged, only on inputs outside the data range',
    meaning: 'The fixed point is not reached far from the data; on the data the inverse is right.',
  },
  'exploding-inverse': {
    severity: 'error or warning',
    source: 'inverse-lipschitz',
    threshold: `largest measured inverse Jacobian norm at the data > ${LIMITS.inverseError} (error) or > ${LIMITS.inverseWarning} (warning), or NaN/Inf`,
    meaning:
      'A perturbation of the output is amplified that much in the input: float32 round trips lose about log10 of it in digits.',
  },
  'nan-output': {
    severity: 'error',
    source: 'forward-lipschitz',
    threshold: 'the model returns NaN/Inf at a probe point',
    meaning: 'The forward map is broken on the data.',
  },
  'large-lipschitz': {
    severity: 'warning',
    source: 'forward-lipschitz',
    threshold: `largest measured Jacobian norm at the data > ${LIMITS.forwardWarning}`,
    meaning:
      'The forward map amplifies perturbations that much; the block with the largest constant is named.',
  },
  'invertibility-attack': {
    severity: 'error',
    source: 'attack',
    threshold: `an input within the attack radius (L-infinity, default 1/512) of a data point reconstructs with relative error > ${pct(LIMITS.attackError)}, or NaN/Inf`,
    meaning:
      'Inputs a rounding error away from the data break the inverse: stable only on the data manifold.',
  },
  'sampling-nonfinite': {
    severity: 'error',
    source: 'sampling',
    threshold: 'any sample F^-1(z), z from the base distribution at the tested temperatures, is NaN/Inf',
    meaning: 'Sampling from the model produces NaN images or values.',
  },
  'sampling-huge': {
    severity: 'warning',
    source: 'sampling',
    threshold:
      "any sample F^-1(z) exceeds the hugeness factor (default 1000) times the data's largest magnitude",
    meaning: 'Samples blow up without becoming NaN: the inverse explodes in parts of the latent space.',
  },
  'ill-conditioned': {
    severity: 'warning',
    source: 'condition',
    threshold: `Jacobian condition number sigma_max / sigma_min > ${LIMITS.conditionWarning.toExponential(0)}`,
    meaning: 'Forward and inverse together lose about log10 of it in digits.',
  },
  'round-trip-drift': {
    severity: 'warning',
    source: 'condition',
    threshold: `repeated round trips x -> F^-1(F(x)) drift by > ${pct(LIMITS.driftWarning)} (relative)`,
    meaning: 'Errors accumulate over round trips, as in memory-saving backprop through many blocks.',
  },
  'logdet-mismatch': {
    severity: 'error',
    source: 'logdet',
    threshold: `(|claimed - reference| - the reference's rounding bound) / (1 + |reference|) > the log-det tolerance (default ${pct(LIMITS.logDet)}), the reference being log|det J| of the float32 Jacobian factorised in float64; a stochastic log-det (it differs between calls) is the mean of 32 draws and gets 5 standard errors more room`,
    meaning: 'The likelihood the model reports is wrong; the block whose mismatch is largest is named.',
  },
  'memory-backprop': {
    severity: 'warning',
    source: 'memory-backprop',
    threshold: `input gradients from activations rebuilt by the inverse differ from stored-activation gradients by > the gradient tolerance (default ${LIMITS.gradientWarning}, relative)`,
    meaning: 'Memory-saving backprop (RevNet style) would train on wrong gradients.',
  },
  'memory-backprop-weights': {
    severity: 'warning',
    source: 'memory-backprop',
    threshold: `weight gradients from rebuilt activations differ by > the gradient tolerance (default ${LIMITS.gradientWarning}, relative)`,
    meaning: 'As memory-backprop, for the weights the optimiser updates.',
  },
} as const satisfies Record<string, FindingCodeDoc>;

export type FindingCode = keyof typeof FINDING_CODES;

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The table docs/audit-findings.md holds between its generated-table markers. */
export function findingCodesMarkdown(): string {
  const rows = Object.entries(FINDING_CODES).map(
    ([code, d]: [string, FindingCodeDoc]) =>
      `| \`${code}\` | ${d.severity} | ${cell(d.source)} | ${cell(d.threshold)} | ${cell(d.meaning)} |`,
  );
  return [
    '| Code | Severity | From | Raised when | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The page that documents the codes, relative to the repository root. */
export const FINDINGS_PAGE = 'docs/audit-findings.md';

const MARKERS = {
  start: '<!-- finding-codes: generated from core/src/report/finding-codes.ts -->',
  end: '<!-- end of finding-codes -->',
};

/** The page with its table (between the markers) replaced by the current one. */
export function withFindingTable(page: string): string {
  const start = page.indexOf(MARKERS.start);
  const end = page.indexOf(MARKERS.end);
  if (start < 0 || end < start) throw new Error(`${FINDINGS_PAGE} lacks its table markers`);
  return `${page.slice(0, start + MARKERS.start.length)}\n\n${findingCodesMarkdown()}\n\n${page.slice(end)}`;
}
