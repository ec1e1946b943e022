/**
 * Specification of NeuralOde (core/src/layers/neural-ode.ts): the time-T map of dx/dt = f(x), f an MLP whose
 * kernels are each held to a certified spectral norm <= coeff (so Lip(f) <= L from the options, as for the
 * coupling conditioner: core/src/specs/coupling-net.ts), integrated by n fixed steps of h = T / n of Euler or
 * classical RK4; the inverse integrates the same scheme backwards (step -h).
 *
 * Bounds. With z = h L:
 * - the exact flow: |phi_t(x) - phi_t(x')| <= e^{L t} |x - x'| (Gronwall), so e^{LT} both ways. It is the flow's
 *   bound, not the bound of what the layer computes;
 * - the Euler step x + h f(x) has Lip <= P(z) = 1 + z;
 * - an RK4 step, k1 = f(x), k2 = f(x + h/2 k1), k3 = f(x + h/2 k2), k4 = f(x + h k3),
 *   x' = x + h/6 (k1 + 2 k2 + 2 k3 + k4): stage by stage Lip(k1) <= L, Lip(x + h/2 k1) <= 1 + z/2, so
 *   Lip(k2) <= L (1 + z/2), Lip(k3) <= L (1 + z/2 + z^2/4), Lip(k4) <= L (1 + z + z^2/2 + z^3/4), and
 *   Lip(step) <= 1 + z/6 (1 + 2 (1 + z/2) + 2 (1 + z/2 + z^2/4) + 1 + z + z^2/2 + z^3/4)
 *             = P(z) = 1 + z + z^2/2 + z^3/6 + z^4/24 (e^z's Taylor polynomial);
 * so the computed forward map (n steps of h) and the computed backward integration (n steps of -h, the same |h|)
 * are both <= P(z)^n <= e^{LT} (P(z) <= e^z for z >= 0).
 * "Inverse" has a second reading: the exact inverse of the computed forward map, which backward integration only
 * approximates. Each step is x + h Phi(x) with Lip(h Phi) <= P(z) - 1 (the same stage bounds without the 1), so
 * while P(z) < 2 it is invertible with inverse Lipschitz <= 1 / (1 - (P(z) - 1)) = 1 / (2 - P(z)) (Behrmann et
 * al. 2019); n steps: (2 - P(z))^-n. Since P (2 - P) = 1 - (P - 1)^2 <= 1, that is >= P(z)^n, so the inverse bound
 * stated is (2 - P(z))^-n: it holds under either reading. P(z) >= 2 (z >= 1 Euler, z >= ~0.69 RK4): no inverse
 * bound (the computed map need not be injective).
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

/** P(z): the Lipschitz growth of one step of size h with z = |h| Lip(f): 1 + z (Euler), e^z to degree 4 (RK4). */
export function odeStepGrowth(method: OdeMethod, z: number): number {
  return method === 'euler' ? 1 + z : 1 + z + (z * z) / 2 + (z * z * z) / 6 + (z * z * z * z) / 24;
}

/**
 * For Lip(f) <= lip: the computed maps' bound (forward, and backward integration), the stated inverse bound (also
 * the exact inverse of the computed forward map; Infinity when P(z) >= 2) and the exact time-T flow's.
 */
export function neuralOdeLipschitz(
  o: NeuralOdeOptions,
  lip: number,
): { forward: number; inverse: number; exactFlow: number } {
  const p = odeStepGrowth(o.method, (o.time / o.steps) * lip);
  return {
    forward: p ** o.steps,
    inverse: p < 2 ? (2 - p) ** -o.steps : Infinity,
    exactFlow: Math.exp(lip * o.time),
  };
}

/** From the weights: f's certified Lipschitz bound. */
export function neuralOdeFromWeights(o: NeuralOdeOptions, lip: number): WeightBounds {
  const { forward, inverse } = neuralOdeLipschitz(o, lip);
  return { forward, inverse };
}

/** From the options: Lip(f) <= coeff^(hiddenLayers + 1) times the activation's constant between layers. */
export function neuralOdeStatic(
  o: NeuralOdeOptions & { hiddenLayers: number; activation: ConditionerActivation },
): StaticBounds {
  const lip = constrainedConditionerLipschitz({ ...o, conditionerNorm: o.coeff }, 2)!;
  const { forward, inverse, exactFlow } = neuralOdeLipschitz(o, lip);
  const h = formatNumber(o.time / o.steps);
  const p = o.method === 'euler' ? 'P(z) = 1 + z' : 'P(z) = 1 + z + z^2/2 + z^3/6 + z^4/24';
  return {
    forward,
    inverse: Number.isFinite(inverse) ? inverse : 'unbounded',
    source: `${o.method} map: P(z)^n forward, (2 - P(z))^-n inverse (the computed forward map's exact inverse; backward integration <= P(z)^n), ${p}, z = hL with L = Lip(f) <= ${formatNumber(lip)} (${o.hiddenLayers + 1} kernels of norm <= ${formatNumber(o.coeff)}), h = ${h}, n = ${o.steps}`,
    notes: [
      `exact flow (not the computed map): e^{LT} = ${formatNumber(exactFlow)} both ways; the discretisation error is measured (discretisationError()), not bounded`,
    ],
  };
}
