/**
 * Specification of NeuralOde (core/src/layers/neural-ode.ts): the time-T map of dx/dt = f(x), f an MLP whose
 * kernels are each held to a certified spectral norm <= coeff (so Lip(f) <= L from the options, as for the
 * coupling conditioner: core/src/specs/coupling-net.ts), integrated by n fixed steps of h = T / n of Euler or
 * classical RK4; the inverse integrates the same scheme backwards (step -h).
 *
 * Bounds, both directions (the backward map is the same scheme with |h| unchanged):
 * - the exact flow: |phi_t(x) - phi_t(x')| <= e^{L t} |x - x'| (Gronwall), so e^{LT}. It is the flow's bound,
 *   not the bound of what the layer computes;
 * - the Euler map x + h f(x): Lip <= 1 + z with z = |h| L, so n steps: (1 + z)^n;
 * - an RK4 step, k1 = f(x), k2 = f(x + h/2 k1), k3 = f(x + h/2 k2), k4 = f(x + h k3),
 *   x' = x + h/6 (k1 + 2 k2 + 2 k3 + k4): stage by stage Lip(k1) <= L, Lip(x + h/2 k1) <= 1 + z/2, so
 *   Lip(k2) <= L (1 + z/2), Lip(k3) <= L (1 + z/2 + z^2/4), Lip(k4) <= L (1 + z + z^2/2 + z^3/4), and
 *   Lip(step) <= 1 + z/6 (1 + 2 (1 + z/2) + 2 (1 + z/2 + z^2/4) + 1 + z + z^2/2 + z^3/4)
 *             = 1 + z + z^2/2 + z^3/6 + z^4/24 (e^z's Taylor polynomial), so n steps: that to the n.
 * Both discrete bounds are <= e^{LT} ((1 + z) and the polynomial are <= e^z for z >= 0), so the flow's bound also
 * holds for the layer's maps; the layer states the smaller discrete one.
 *
 * The discretisation error (how far the layer's map is from the exact flow) is not bounded by L alone (it needs
 * higher derivatives of f); the layer reports it measured, by step doubling.
 */
import { formatNumber } from '../bounds/bound';
import { constrainedConditionerLipschitz } from './coupling-net';
import type { ConditionerActivation } from './coupling-net';
import { oneOfError, type OptionError, positiveIntError, type StaticBounds, type WeightBounds } from './spec';

export type OdeMethod = 'euler' | 'rk4';
export const ODE_METHODS: readonly OdeMethod[] = ['euler', 'rk4'];

export interface NeuralOdeOptions {
  method: OdeMethod;
  /** Fixed steps n. */
  steps: number;
  /** Integration time T > 0. */
  time: number;
  /** Certified spectral norm bound c > 0 of each kernel of f. */
  coeff: number;
}

export const NEURAL_ODE_DEFAULTS: Readonly<NeuralOdeOptions> = {
  method: 'rk4',
  steps: 8,
  time: 1,
  coeff: 0.9,
};

/** The first error the layer's constructor throws for its ODE options; undefined when accepted. */
export function neuralOdeError(o: {
  method: unknown;
  steps: number;
  time: number;
  coeff: number;
}): OptionError | undefined {
  return (
    oneOfError('method', ODE_METHODS, o.method) ??
    positiveIntError('steps', o.steps) ??
    (o.time > 0 && Number.isFinite(o.time) ? undefined : `time must be a finite number > 0, got ${o.time}`) ??
    (o.coeff > 0 && Number.isFinite(o.coeff)
      ? undefined
      : `coeff must be a finite number > 0, got ${o.coeff}`)
  );
}

/** The Lipschitz growth of one step of size h with z = |h| Lip(f): 1 + z (Euler), e^z to degree 4 (RK4). */
export function odeStepGrowth(method: OdeMethod, z: number): number {
  return method === 'euler' ? 1 + z : 1 + z + (z * z) / 2 + (z * z * z) / 6 + (z * z * z * z) / 24;
}

/** The bound of the n-step map (either direction) and of the exact time-T flow, for Lip(f) <= lip. */
export function neuralOdeLipschitz(
  o: NeuralOdeOptions,
  lip: number,
): { discrete: number; exactFlow: number } {
  return {
    discrete: odeStepGrowth(o.method, (o.time / o.steps) * lip) ** o.steps,
    exactFlow: Math.exp(lip * o.time),
  };
}

/** From the weights: f's certified Lipschitz bound. */
export function neuralOdeFromWeights(o: NeuralOdeOptions, lip: number): WeightBounds {
  const { discrete } = neuralOdeLipschitz(o, lip);
  return { forward: discrete, inverse: discrete };
}

/** From the options: Lip(f) <= coeff^(hiddenLayers + 1) times the activation's constant between layers. */
export function neuralOdeStatic(
  o: NeuralOdeOptions & { hiddenLayers: number; activation: ConditionerActivation },
): StaticBounds {
  const lip = constrainedConditionerLipschitz({ ...o, conditionerNorm: o.coeff }, 2)!;
  const { discrete, exactFlow } = neuralOdeLipschitz(o, lip);
  const h = formatNumber(o.time / o.steps);
  const step = o.method === 'euler' ? '(1 + hL)^n' : '(1 + z + z^2/2 + z^3/6 + z^4/24)^n, z = hL';
  return {
    forward: discrete,
    inverse: discrete,
    source: `${o.method} map, both ways: ${step} with L = Lip(f) <= ${formatNumber(lip)} (${o.hiddenLayers + 1} kernels of norm <= ${formatNumber(o.coeff)}), h = ${h}, n = ${o.steps}`,
    notes: [
      `exact flow (not the computed map): e^{LT} = ${formatNumber(exactFlow)} both ways; the discretisation error is measured (discretisationError()), not bounded`,
    ],
  };
}
