/**
 * The bound property check: for each case, the true local Lipschitz constants (largest singular value of the
 * explicit Jacobian at random points at 1x, 10x and 100x the data scale, forward and inverse) against (a) the
 * layer's own bounds and (b) the static calculus's bound for its IR node.
 */
import * as tf from '@tensorflow/tfjs';
import type { Bound } from '../../src/bounds/bound';
import type { Case, Subject } from './cases';
import { allFinite, jacobianAt, singularRange } from './measure';

/**
 * A bound is violated when true > bound * (1 + MARGIN). The Jacobians are float32 autodiff: each entry is a
 * sum of at most a few hundred products, so its rounding error is below ~1e-5 relative to the sum of the
 * magnitudes, and the largest singular value moves by at most ||dJ||_F; the layers whose bounds are exact
 * (permutations, ActNorm, the LU maps, scale-free couplings) measure within 2e-6 of their bound. 1e-4 leaves a
 * factor 50 over that while still catching a normalisation that misses c by 0.01%.
 */
export const MARGIN = 1e-4;

/** Multiples of the data scale (unit-variance inputs) the points are drawn at. */
export const SCALES = [1, 10, 100];

export type Direction = 'forward' | 'inverse';
/**
 * What a check holds to a bound: the measured constant (the first four), or, for the last two, the layer's own
 * weight-based bound (the static one holds for every weight, so it may never be below it).
 */
export type Claim =
  | 'lipschitzBounds'
  | 'static'
  | 'lipschitzBoundsOn domain'
  | 'static on domain'
  | 'static >= lipschitzBounds'
  | 'static on domain >= lipschitzBoundsOn';

/** One bound against the largest measured value: finite numbers only (unknown/unbounded claim nothing). */
export interface Check {
  claim: Claim;
  direction: Direction;
  bound: number;
  measured: number;
  ratio: number;
  violated: boolean;
}

export interface CaseResult {
  type: string;
  label: string;
  measured: Record<Direction, number | undefined>;
  checks: Check[];
  /** Points where the Jacobian overflowed (counted as an infinite local constant). */
  nonFinite: number;
}

function point(shape: number[], scale: number, seed: number): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal([1, ...shape], 0, 1, 'float32', seed), scale));
}

/** Largest local constant over the points, Infinity where float32 overflowed. */
function measure(
  s: Subject,
  direction: Direction,
  points: number,
  seed: number,
): { value: number; nonFinite: number } {
  let value = 0;
  let nonFinite = 0;
  for (const scale of SCALES) {
    for (let p = 0; p < points; p++) {
      const z = point(direction === 'forward' ? s.inputShape : s.outputShape, scale, seed + 7919 * p + scale);
      let local: number;
      if (direction === 'forward') {
        const j = jacobianAt(s.forward, z);
        local = allFinite(j) ? singularRange(j).max : Infinity;
      } else if (s.inverse !== undefined) {
        const j = jacobianAt(s.inverse, z);
        local = allFinite(j) ? singularRange(j).max : Infinity;
      } else {
        const x = s.iterativeInverse!(z);
        const j = jacobianAt(s.forward, x);
        x.dispose();
        local = allFinite(j) ? 1 / singularRange(j).min : Infinity;
      }
      z.dispose();
      if (!Number.isFinite(local)) nonFinite++;
      value = Math.max(value, local);
    }
  }
  return { value, nonFinite };
}

/**
 * Largest local constants inside a declared box domain: forward at points x in it (uniform, and corners where
 * |x2| is largest), inverse at their images F(x), since the domain bound covers pairs of inputs in the domain.
 */
function measureOnDomain(
  s: Subject,
  halfWidth: number,
  points: number,
  seed: number,
): { forward: number; inverse: number; nonFinite: number } {
  let forward = 0;
  let inverse = 0;
  let nonFinite = 0;
  const local = (j: number[][]): number => (allFinite(j) ? singularRange(j).max : Infinity);
  for (let p = 0; p < 3 * points; p++) {
    const x = tf.tidy(() => {
      const u = tf.randomUniform([1, ...s.inputShape], -halfWidth, halfWidth, 'float32', seed + 7919 * p);
      return p % 2 === 1 ? tf.mul(tf.sign(u), halfWidth) : u;
    });
    const y = tf.tidy(() => s.forward(x));
    const f = local(jacobianAt(s.forward, x));
    const i = s.inverse !== undefined ? local(jacobianAt(s.inverse, y)) : 0;
    tf.dispose([x, y]);
    if (!Number.isFinite(f) || !Number.isFinite(i)) nonFinite++;
    forward = Math.max(forward, f);
    inverse = Math.max(inverse, i);
  }
  return { forward, inverse, nonFinite };
}

function check(claim: Claim, direction: Direction, bound: Bound | undefined, measured: number): Check[] {
  if (typeof bound !== 'number' || !Number.isFinite(bound)) return [];
  const ratio = measured / bound;
  return [{ claim, direction, bound, measured, ratio, violated: measured > bound * (1 + MARGIN) }];
}

/** Builds the case, measures both directions (forward only for non-invertible layers) and disposes it. */
export function runCase(c: Case, points: number, seed: number): CaseResult {
  const before = tf.memory().numTensors;
  const s = c.make();
  try {
    const result: CaseResult = {
      type: c.type,
      label: c.label,
      measured: { forward: undefined, inverse: undefined },
      checks: [],
      nonFinite: 0,
    };
    const directions: Direction[] =
      s.inverse !== undefined || s.iterativeInverse !== undefined ? ['forward', 'inverse'] : ['forward'];
    for (const direction of directions) {
      const m = measure(s, direction, points, seed);
      result.measured[direction] = m.value;
      result.nonFinite += m.nonFinite;
      const runtime = s.runtime[direction];
      result.checks.push(
        ...check('lipschitzBounds', direction, runtime, m.value),
        ...check('static', direction, s.static[direction], m.value),
        ...(runtime !== undefined && Number.isFinite(runtime)
          ? check('static >= lipschitzBounds', direction, s.static[direction], runtime)
          : []),
      );
    }
    if (s.domain !== undefined) {
      const m = measureOnDomain(s, s.domain.halfWidth, points, seed);
      result.nonFinite += m.nonFinite;
      for (const direction of ['forward', 'inverse'] as const)
        result.checks.push(
          ...check('lipschitzBoundsOn domain', direction, s.domain.runtime[direction], m[direction]),
          ...check('static on domain', direction, s.domain.static?.[direction], m[direction]),
          ...(Number.isFinite(s.domain.runtime[direction])
            ? check(
                'static on domain >= lipschitzBoundsOn',
                direction,
                s.domain.static?.[direction],
                s.domain.runtime[direction],
              )
            : []),
        );
    }
    return result;
  } finally {
    s.dispose();
    leaked.set(c.type, (leaked.get(c.type) ?? 0) + tf.memory().numTensors - before);
  }
}

/** Tensors left alive per type after its cases were disposed (the layers' own leaks: the harness tidies). */
export const leaked = new Map<string, number>();

/** A violated (type, claim, direction), e.g. "AffineCoupling bounded-tanh: static forward". */
export function violationKey(type: string, claim: Claim, direction: Direction): string {
  return `${type}: ${claim} ${direction}`;
}

export interface TypeSummary {
  type: string;
  configs: number;
  /** Configurations with at least one violated bound. */
  violatingConfigs: number;
  /** Per violated (claim, direction): the count and the worst ratio true / bound, with its configuration. */
  violations: Map<string, { count: number; worst: number; label: string }>;
  /** Per (claim, direction) with a finite bound: the largest ratio true / bound seen (the tightest). */
  tightest: Map<string, number>;
  nonFinite: number;
}

export function summarise(type: string, results: readonly CaseResult[]): TypeSummary {
  const summary: TypeSummary = {
    type,
    configs: results.length,
    violatingConfigs: 0,
    violations: new Map(),
    tightest: new Map(),
    nonFinite: 0,
  };
  for (const r of results) {
    summary.nonFinite += r.nonFinite;
    if (r.checks.some((c) => c.violated)) summary.violatingConfigs++;
    for (const c of r.checks) {
      const what = `${c.claim} ${c.direction}`;
      summary.tightest.set(what, Math.max(summary.tightest.get(what) ?? 0, c.ratio));
      if (!c.violated) continue;
      const key = violationKey(type, c.claim, c.direction);
      const v = summary.violations.get(key) ?? { count: 0, worst: 0, label: '' };
      v.count++;
      if (c.ratio > v.worst) {
        v.worst = c.ratio;
        v.label = r.label;
      }
      summary.violations.set(key, v);
    }
  }
  return summary;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(6) : String(x));

/** One line per type: configs, violating configs, tightest ratio per claim; then every violation. */
export function formatSummaries(summaries: readonly TypeSummary[]): string {
  const lines = summaries.map((s) => {
    const tight = [...s.tightest].map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'no finite bound';
    const overflow = s.nonFinite > 0 ? `, ${s.nonFinite} overflowed points` : '';
    return `${s.type}: ${s.configs} configs, ${s.violatingConfigs} violating${overflow}; tightest true/bound: ${tight}`;
  });
  const violations = summaries.flatMap((s) =>
    [...s.violations].map(
      ([k, v]) =>
        `  VIOLATION ${k}: ${v.count}/${s.configs} configs, worst ratio ${fmt(v.worst)} (${v.label})`,
    ),
  );
  return [
    ...lines,
    ...(violations.length > 0 ? ['Known violators (true > bound):', ...violations] : []),
  ].join('\n');
}
