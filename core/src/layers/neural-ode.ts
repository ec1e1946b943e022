/**
 * A neural-ODE block: the time-T map of dx/dt = f(x) by fixed-step Euler or RK4, f a spectrally normalised MLP
 * (specification and bounds: core/src/specs/neural-ode.ts).
 */
import * as tf from '@tensorflow/tfjs';
import {
  activate,
  activationSlope,
  conditionerConfig,
  conditionerSettings,
  type CouplingArgs,
  Conditioner,
} from './coupling-net';
import { configError, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, LazyBuildLayer, single, singleShape } from './layer-util';
import { logDetUnpivotedLU } from './residual-log-det';
import { type ConditionerActivation, COUPLING_NET_DEFAULTS, couplingNetError } from '../specs/coupling-net';
import {
  NEURAL_ODE_DEFAULTS,
  neuralOdeError,
  neuralOdeFromWeights,
  neuralOdeLipschitz,
  type NeuralOdeOptions,
  type OdeMethod,
} from '../specs/neural-ode';

/**
 * Arguments of {@link NeuralOde}. The vector field f is an MLP with the coupling conditioner's settings
 * (`hiddenUnits`, `hiddenLayers`, `activation`, `zeroInit`, `seed`, see {@link CouplingArgs}) whose kernels are
 * always rescaled to a certified spectral norm <= `coeff`. Rank-2 [batch, d] inputs.
 */
export interface NeuralOdeArgs extends Omit<CouplingArgs, 'hiddenChannels' | 'conditionerNorm'> {
  /** 'rk4' (default) or 'euler'. */
  method?: OdeMethod;
  /** Fixed steps n. Default 8. */
  steps?: number;
  /** Integration time T. Default 1. */
  time?: number;
  /** Certified spectral norm bound of each kernel of f. Default 0.9. */
  coeff?: number;
}

/** How far the computed maps are from the exact flow, measured at a batch (largest over its rows). */
export interface DiscretisationError {
  /**
   * Step doubling: |x_n - x_2n| (2^p / (2^p - 1)), p the order (1 Euler, 4 RK4), x_n the layer's n-step result
   * and x_2n that of 2n steps: the usual estimate of the n-step result's distance from the exact flow (an
   * estimate, not a bound: it assumes the error's leading term dominates).
   */
  stepDoubling: number;
  /** |inverse(forward(x)) - x|: the two discretisations do not cancel exactly. */
  roundTrip: number;
}

/**
 * Neural ODE (Chen et al. 2018) with a Lipschitz vector field: forward integrates dx/dt = f(x) from 0 to T in n
 * steps, `inverse` integrates backwards from T to 0 with the same scheme, so inverse(forward(x)) equals x only
 * up to the discretisation error (see {@link discretisationError}). With z = hL, L = Lip(f), the computed maps
 * (forward, and backward integration) are bounded by P(z)^n <= e^{LT} (P: 1 + z for Euler, e^z's degree-4 Taylor
 * polynomial for RK4), and the exact inverse of the computed forward map by (2 - P(z))^-n while P(z) < 2, the
 * inverse bound stated (core/src/specs/neural-ode.ts). The log-det is that of the computed
 * n-step map, exact and differentiable: the sum of log det of the step Jacobians, built from f's Jacobian with
 * tensor ops (needs each step's Jacobian within distance 1 of I, which z = hL <= 0.69 guarantees; else NaN).
 */
export class NeuralOde extends LazyBuildLayer implements Invertible {
  static className = 'NeuralOde';
  readonly method: OdeMethod;
  readonly steps: number;
  readonly time: number;
  readonly coeff: number;
  readonly hiddenUnits: number;
  readonly hiddenLayers: number;
  readonly activation: ConditionerActivation;
  readonly zeroInit: boolean;
  readonly seed: number;
  private net: Conditioner | null = null;

  constructor(args: NeuralOdeArgs = {}) {
    super(args);
    this.method = args.method ?? NEURAL_ODE_DEFAULTS.method;
    this.steps = args.steps ?? NEURAL_ODE_DEFAULTS.steps;
    this.time = args.time ?? NEURAL_ODE_DEFAULTS.time;
    this.coeff = args.coeff ?? NEURAL_ODE_DEFAULTS.coeff;
    const settings = conditionerSettings(args, this.name);
    ({
      hiddenUnits: this.hiddenUnits,
      hiddenLayers: this.hiddenLayers,
      activation: this.activation,
      zeroInit: this.zeroInit,
      seed: this.seed,
    } = settings);
    const error =
      neuralOdeError(this) ??
      couplingNetError({
        ...settings,
        hiddenChannels: COUPLING_NET_DEFAULTS.hiddenChannels,
        conditionerNorm: undefined,
      });
    if (error !== undefined) configError(this.name, error);
  }

  private get options(): NeuralOdeOptions {
    return { method: this.method, steps: this.steps, time: this.time, coeff: this.coeff };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const d = shape[shape.length - 1];
    if (shape.length !== 2 || d == null) {
      configError(this.name, `expects [batch, d] inputs with d known, got [${shape.join(', ')}]`);
    }
    this.net = new Conditioner(
      2,
      d,
      this.hiddenUnits,
      this.hiddenLayers,
      d,
      this.activation,
      this.zeroInit,
      this.seed,
      (name, wShape, init) => this.addLayerWeight(name, wShape, init),
      this.coeff,
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  private field(x: tf.Tensor): Conditioner {
    this.ensureBuilt(x.shape);
    return this.net!;
  }

  /** One step of size h (negative: backwards); the caller owns the tidy scope. */
  private step(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, h: number): tf.Tensor {
    const k1 = f(x);
    if (this.method === 'euler') return tf.add(x, tf.mul(k1, h));
    const k2 = f(tf.add(x, tf.mul(k1, h / 2)));
    const k3 = f(tf.add(x, tf.mul(k2, h / 2)));
    const k4 = f(tf.add(x, tf.mul(k3, h)));
    return tf.add(x, tf.mul(tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]), h / 6));
  }

  /** n steps of size h from x. */
  private integrate(x: tf.Tensor, h: number, n: number): tf.Tensor {
    return tf.tidy(() => {
      const net = this.field(x);
      const f = (z: tf.Tensor): tf.Tensor => net.apply(z);
      let z = x;
      for (let i = 0; i < n; i++) z = this.step(f, z, h);
      return z;
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return this.integrate(single(inputs), this.time / this.steps, this.steps);
  }

  /** Integrates backwards from T to 0: the exact flow's inverse, up to the discretisation error. */
  inverse(y: tf.Tensor): tf.Tensor {
    return this.integrate(y, -this.time / this.steps, this.steps);
  }

  /**
   * f(x) and its Jacobian transposed, [batch, d, d] with entry [b, j, i] = df_i/dx_j at row b: the kernels as
   * applied, each scaled by the activation's slope at its pre-activation. The caller owns the tidy scope.
   */
  private fieldWithJacobian(net: Conditioner, x: tf.Tensor): { f: tf.Tensor; jt: tf.Tensor3D } {
    const kernels = net.applied();
    const [batch, d] = x.shape as [number, number];
    let h = x;
    let jt: tf.Tensor3D = tf.tile(tf.expandDims(kernels[0]!, 0), [batch, 1, 1]) as tf.Tensor3D;
    kernels.forEach((k, i) => {
      const z = tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), net.biases[i]!.read());
      if (i > 0) {
        const width = jt.shape[2];
        const moved = tf.matMul(tf.reshape(jt, [batch * d, width]) as tf.Tensor2D, k as tf.Tensor2D);
        jt = tf.reshape(moved, [batch, d, k.shape[1]!]) as tf.Tensor3D;
      }
      if (i + 1 < kernels.length) {
        jt = tf.mul(jt, tf.expandDims(activationSlope(z, this.activation), 1)) as tf.Tensor3D;
        h = activate(z, this.activation);
      } else h = z;
    });
    return { f: h, jt };
  }

  /**
   * log |det| of the computed n-step map at each row of x: the sum over steps of log det of the step Jacobian,
   * I + h J_f (Euler) or I + h/6 (J1 + 2 J2 + 2 J3 + J4) with the stage Jacobians J2 = J_f(x2)(I + h/2 J1), ...
   * (RK4), in the transposed layout, by unpivoted LU (residual-log-det.ts).
   */
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => {
      const net = this.field(x);
      const d = x.shape[1]!;
      const h = this.time / this.steps;
      const eye = tf.eye(d).expandDims(0);
      // In the transposed layout, (J_f(x2) (I + c J1))^T = (I + c J1^T) J_f(x2)^T.
      const chain = (jPrev: tf.Tensor3D, c: number, jtNext: tf.Tensor3D): tf.Tensor3D =>
        tf.matMul(tf.add(eye, tf.mul(jPrev, c)) as tf.Tensor3D, jtNext);
      let z = x;
      let total: tf.Tensor = tf.zeros([x.shape[0]!]);
      for (let s = 0; s < this.steps; s++) {
        const one = this.fieldWithJacobian(net, z);
        let stepJt: tf.Tensor;
        if (this.method === 'euler') {
          stepJt = tf.add(eye, tf.mul(one.jt, h));
          z = tf.add(z, tf.mul(one.f, h));
        } else {
          const two = this.fieldWithJacobian(net, tf.add(z, tf.mul(one.f, h / 2)));
          const j2 = chain(one.jt, h / 2, two.jt);
          const three = this.fieldWithJacobian(net, tf.add(z, tf.mul(two.f, h / 2)));
          const j3 = chain(j2, h / 2, three.jt);
          const four = this.fieldWithJacobian(net, tf.add(z, tf.mul(three.f, h)));
          const j4 = chain(j3, h, four.jt);
          stepJt = tf.add(eye, tf.mul(tf.addN([one.jt, tf.mul(j2, 2), tf.mul(j3, 2), j4]), h / 6));
          z = tf.add(z, tf.mul(tf.addN([one.f, tf.mul(two.f, 2), tf.mul(three.f, 2), four.f]), h / 6));
        }
        total = tf.add(total, logDetUnpivotedLU(stepJt as tf.Tensor3D));
      }
      return total as tf.Tensor1D;
    });
  }

  /**
   * From f's certified kernel norms: forward P(z)^n (also bounds `inverse()`, the backward integration); inverse
   * (2 - P(z))^-n, which bounds the exact inverse of the forward map too (Infinity when P(z) >= 2).
   */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.net === null) return { forward: Infinity, inverse: Infinity };
    return neuralOdeFromWeights(this.options, this.net.lipschitz());
  }

  /** The exact time-T flow's bound e^{LT} both ways, L from the weights (Infinity before the layer is built). */
  exactFlowBound(): number {
    if (this.net === null) return Infinity;
    return neuralOdeLipschitz(this.options, this.net.lipschitz()).exactFlow;
  }

  /** The discretisation error at the rows of x, measured (see {@link DiscretisationError}). */
  discretisationError(x: tf.Tensor): DiscretisationError {
    const order = this.method === 'euler' ? 1 : 4;
    const rowMax = (t: tf.Tensor): number => tf.tidy(() => tf.max(tf.norm(t, 'euclidean', 1)).dataSync()[0]!);
    return tf.tidy(() => {
      const h = this.time / this.steps;
      const coarse = this.integrate(x, h, this.steps);
      const fine = this.integrate(x, h / 2, 2 * this.steps);
      return {
        stepDoubling: (rowMax(tf.sub(coarse, fine)) * 2 ** order) / (2 ** order - 1),
        roundTrip: rowMax(tf.sub(this.inverse(coarse), x)),
      };
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      method: this.method,
      steps: this.steps,
      time: this.time,
      coeff: this.coeff,
      ...conditionerConfig(this),
    };
  }
}
tf.serialization.registerClass(NeuralOde, PACKAGE);
