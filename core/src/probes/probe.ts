/** The shape every probe module shares, and the settings they read. */
import { LIMITS } from '../report/finding-codes';
import type { Curve, Figure, ProbeStatus, Table } from '../report/schema';
import type { SpectralMethod } from './spectral';
import type { ProbeContext, ProbeTarget, Tensor } from './target';

export const PROBE_IDS = [
  'forward-lipschitz',
  'inverse-lipschitz',
  'reconstruction',
  'attack',
  'condition',
  'sampling',
  'logdet',
  'memory-backprop',
] as const;
export type ProbeId = (typeof PROBE_IDS)[number];

export function isProbeId(s: string): s is ProbeId {
  return (PROBE_IDS as readonly string[]).includes(s);
}

export interface ProbeSettings {
  /** Spectral method; Lanczos is the default because it needed fewer products in bench/audit.bench.ts. */
  method: SpectralMethod;
  maxIter: number;
  tol: number;
  fdStep: number;
  /** Gradient-ascent steps of the pair search. */
  pairSteps: number;
  /** Relative reconstruction error past which the model is called numerically non-invertible. */
  reconstructionThreshold: number;
  /** Input scales of the out-of-distribution sweep (multiples of the data's scale). */
  scales: number[];
  /** L-infinity radius of the attack: half a quantisation bin of 8-bit data in [0, 1]. */
  attackEpsilon: number;
  attackSteps: number;
  /** Explicit Jacobians only for inputs up to this many numbers. */
  maxExplicitDim: number;
  explicitPoints: number;
  roundTrips: number;
  temperatures: number[];
  /** |x| past this many times the data's largest magnitude counts as a huge sample. */
  hugeFactor: number;
  logDetTolerance: number;
  gradientTolerance: number;
}

export const DEFAULT_SETTINGS: ProbeSettings = {
  method: 'lanczos',
  maxIter: 40,
  tol: 1e-3,
  fdStep: 5e-3,
  pairSteps: 20,
  reconstructionThreshold: LIMITS.reconstruction,
  scales: [0.5, 1, 2, 4, 8, 16, 32, 64],
  attackEpsilon: 1 / 512,
  attackSteps: 200,
  maxExplicitDim: 64,
  explicitPoints: 2,
  roundTrips: 20,
  temperatures: [0.5, 1, 2, 4],
  hugeFactor: 1e3,
  logDetTolerance: LIMITS.logDet,
  gradientTolerance: LIMITS.gradientWarning,
};

export interface ProbeInput {
  target: ProbeTarget;
  /** The probe points, [n, ...inputShape]; owned by the caller. */
  data: Tensor;
  settings: ProbeSettings;
}

export interface ProbeOutput {
  /** Defaults to `ok`; probes return `timeout`/`cancelled` with what they reached. */
  status?: ProbeStatus;
  message?: string;
  figures: Figure[];
  tables: Table[];
  curves: Curve[];
  notes: string[];
}

export interface Probe {
  id: ProbeId;
  title: string;
  /** Probes that need an inverse are skipped (with a message) for forward-only targets. */
  needsInverse: boolean;
  run(input: ProbeInput, ctx: ProbeContext): Promise<ProbeOutput>;
}

export function emptyOutput(): ProbeOutput {
  return { figures: [], tables: [], curves: [], notes: [] };
}
