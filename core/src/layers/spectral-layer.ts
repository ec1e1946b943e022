import * as tf from '@tensorflow/tfjs';
import {
  type InitializerIdentifier,
  initializerFromConfig,
  initializerToConfig,
  resolveInitializer,
} from './initializer-config';
import { configError } from './invertible';
import { type Kwargs, type LayerArgs, single } from './layer-util';
import {
  type ActivationSpec,
  getLipschitzActivation,
  type LipschitzActivation,
} from './lipschitz-activations';
import {
  certifiedDenseNorm,
  denseSpectralNorm,
  type Normalized,
  normalizeDenseKernel,
  powerIterateDense,
  type SpectralCertificate,
  type SpectralNormMode,
} from './spectral-norm';

/** Power iteration and normalization for one kind of kernel: a dense matrix, or a convolution on a fixed shape. */
export interface SpectralOperator<K extends tf.Tensor, U extends tf.Tensor> {
  /** `iterations` power-iteration steps from the unit vector u; returns the new u. */
  iterate(kernel: K, u: U, iterations: number): U;
  /** K * min(1, c / sigma) after `iterations` power steps from u; sigma certified or estimated per `mode`. */
  normalize(kernel: K, u: U, coeff: number, iterations: number, mode: SpectralNormMode): Normalized<K, U>;
  /** Converged operator norm from a random start (an estimate, from below). */
  norm(kernel: K, iterations: number, seed: number | undefined): number;
  /** Certified upper bound of the operator norm (float64 Gram iteration). */
  certify(kernel: K): number;
}

/** Dense kernels [in, out] acting as x -> x W. */
export const DENSE_OPERATOR: SpectralOperator<tf.Tensor2D, tf.Tensor1D> = {
  iterate: powerIterateDense,
  normalize: normalizeDenseKernel,
  norm: denseSpectralNorm,
  certify: certifiedDenseNorm,
};

/**
 * A kernel variable and its power-iteration vector u. u is a non-trainable weight, so it is saved with the
 * model and the sigma estimate stays warm across calls and reloads.
 */
export class SpectralKernel<K extends tf.Tensor, U extends tf.Tensor> {
  constructor(
    readonly kernel: tf.LayerVariable,
    readonly u: tf.LayerVariable,
    private readonly op: SpectralOperator<K, U>,
    readonly mode: SpectralNormMode = 'certified',
  ) {}

  /** Runs power iteration on the raw kernel and stores u, e.g. at build or after setWeights() replaced the kernel. */
  warmUp(iterations: number): void {
    this.u.write(tf.tidy(() => this.op.iterate(this.kernel.read() as K, this.u.read() as U, iterations)));
  }

  /** The normalized kernel (the caller owns it); with `update`, the u advanced by `iterations` steps is stored. */
  normalized(coeff: number, iterations: number, update: boolean): K {
    return tf.tidy(() => {
      const sn = this.op.normalize(this.kernel.read() as K, this.u.read() as U, coeff, iterations, this.mode);
      if (update) this.u.write(sn.u);
      return sn.kernel;
    });
  }

  /**
   * Operator norm of the normalized kernel: certified, a float64 Gram bound of the kernel actually used (<= c by
   * construction); with 'power', the converged power estimate (the stored u only gives a lower bound).
   */
  operatorNorm(coeff: number, iterations: number, seed: number | undefined): number {
    return this.certificate(coeff, iterations, seed).sigma;
  }

  /** operatorNorm, saying whether the number is a certified bound or an estimate. */
  certificate(coeff: number, iterations: number, seed: number | undefined): SpectralCertificate {
    const kernel = this.normalized(coeff, 0, false);
    const certified = this.mode === 'certified';
    const sigma = certified ? this.op.certify(kernel) : this.op.norm(kernel, iterations, seed);
    kernel.dispose();
    return { sigma, kind: certified ? 'certified' : 'estimated' };
  }
}

/** Options shared by the spectrally normalized layers. */
export interface SpectralLayerArgs extends LayerArgs {
  /** One of the activations with a known Lipschitz constant (default 'linear'). */
  activation?: LipschitzActivation;
  useBias?: boolean;
  /** Spectral-norm bound c > 0 on the linear map (default 1). */
  coeff?: number;
  /** Power-iteration steps per training call (default 1); inference reuses the stored vector. */
  powerIterations?: number;
  /** Steps run at build so the estimate starts converged (default 30). */
  initialPowerIterations?: number;
  /**
   * Divide by a certified upper bound of the operator norm ('certified', default: norm <= c by construction)
   * or by the power-iteration estimate ('power': cheaper, may exceed c until it converges).
   */
  norm?: SpectralNormMode;
  kernelInitializer?: InitializerIdentifier;
  seed?: number;
}

/**
 * y = act(A_sn(x) + b) for a linear map A given by a kernel, with A_sn = A * min(1, c / sigma_max(A)).
 * Subclasses check the input shape in build(), then call addSpectralWeights(); they supply the linear map.
 */
export abstract class SpectralLayer<K extends tf.Tensor, U extends tf.Tensor> extends tf.layers.Layer {
  readonly activationName: LipschitzActivation;
  readonly useBias: boolean;
  readonly coeff: number;
  readonly powerIterations: number;
  readonly initialPowerIterations: number;
  readonly norm: SpectralNormMode;
  readonly kernelInitializerId: InitializerIdentifier;
  readonly seed: number | undefined;
  protected readonly act: ActivationSpec;
  private spectral: SpectralKernel<K, U> | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: SpectralLayerArgs) {
    super(args);
    this.activationName = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.coeff = args.coeff ?? 1;
    this.powerIterations = args.powerIterations ?? 1;
    this.initialPowerIterations = args.initialPowerIterations ?? 30;
    this.norm = args.norm ?? 'certified';
    this.kernelInitializerId = args.kernelInitializer ?? 'glorotUniform';
    this.seed = args.seed;
    if (!(this.coeff > 0) || !Number.isFinite(this.coeff)) {
      configError(this.name, `coeff must be a finite number > 0, got ${this.coeff}`);
    }
    if (this.norm !== 'certified' && this.norm !== 'power') {
      configError(this.name, `norm must be 'certified' or 'power', got '${String(this.norm)}'`);
    }
    if (!Number.isInteger(this.powerIterations) || this.powerIterations < 0) {
      configError(this.name, `powerIterations must be a non-negative integer, got ${this.powerIterations}`);
    }
    this.act = getLipschitzActivation(this.name, this.activationName);
    resolveInitializer(this.name, this.kernelInitializerId, this.seed); // fail early on a bad identifier
  }

  /** The linear map with the given (normalized) kernel, before bias and activation. */
  protected abstract applyKernel(x: tf.Tensor, kernel: K): tf.Tensor;

  /** Adds kernel, bias and u in this order (the saved order), then warms u up. The bias has the kernel's last axis. */
  protected addSpectralWeights(kernelShape: number[], uShape: number[], op: SpectralOperator<K, U>): void {
    const init = resolveInitializer(this.name, this.kernelInitializerId, this.seed);
    const kernel = this.addWeight('kernel', kernelShape, 'float32', init, undefined, true);
    if (this.useBias) {
      const outputs = kernelShape[kernelShape.length - 1]!;
      this.bias = this.addWeight('bias', [outputs], 'float32', tf.initializers.zeros());
    }
    const u = this.addWeight(
      'u',
      uShape,
      'float32',
      tf.initializers.randomNormal({ seed: this.seed }),
      undefined,
      false,
    );
    this.spectral = new SpectralKernel(kernel, u, op, this.norm);
    this.spectral.warmUp(this.initialPowerIterations);
  }

  /** Runs power iteration on the raw kernel and stores u, e.g. after setWeights() replaced the kernel. */
  warmUp(iterations: number): void {
    this.requireSpectral().warmUp(iterations);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const training = kwargs?.['training'] === true;
      const kernel = this.requireSpectral().normalized(
        this.coeff,
        training ? this.powerIterations : 0,
        training,
      );
      let y = this.applyKernel(single(inputs), kernel);
      if (this.bias !== null) y = tf.add(y, this.bias.read());
      return this.act.apply(y);
    });
  }

  /**
   * Lipschitz constant with the current weights: the norm of A_sn (a certified bound, or with norm 'power' the
   * converged estimate) times the activation's.
   */
  lipschitzConstant(iterations = 50): number {
    return this.spectralCertificate(iterations).sigma * this.act.lipschitz;
  }

  /** The norm of A_sn with the current weights, and whether it is certified or estimated. */
  spectralCertificate(iterations = 50): SpectralCertificate {
    return this.requireSpectral().certificate(this.coeff, iterations, this.seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      activation: this.activationName,
      useBias: this.useBias,
      coeff: this.coeff,
      powerIterations: this.powerIterations,
      initialPowerIterations: this.initialPowerIterations,
      norm: this.norm,
      kernelInitializer: initializerToConfig(this.kernelInitializerId),
    };
    if (this.seed !== undefined) config['seed'] = this.seed;
    return { ...super.getConfig(), ...config };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({ ...config, kernelInitializer: initializerFromConfig(config['kernelInitializer']) });
  }

  private requireSpectral(): SpectralKernel<K, U> {
    if (this.spectral === null) configError(this.name, 'used before it was built');
    return this.spectral;
  }
}
