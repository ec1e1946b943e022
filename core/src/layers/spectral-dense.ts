import * as tf from '@tensorflow/tfjs';
import {
  type InitializerIdentifier,
  initializerFromConfig,
  initializerToConfig,
  resolveInitializer,
} from './initializer-config';
import { configError, PACKAGE } from './invertible';
import {
  type ActivationSpec,
  getLipschitzActivation,
  type LipschitzActivation,
} from './lipschitz-activations';
import { denseSpectralNorm, normalizeDenseKernel, powerIterateDense } from './spectral-norm';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type LayerVariable = tf.LayerVariable;

export interface SpectralDenseArgs extends LayerArgs {
  units: number;
  /** One of the activations with a known Lipschitz constant (default 'linear'). */
  activation?: LipschitzActivation;
  useBias?: boolean;
  /** Spectral-norm bound c > 0 (default 1). */
  coeff?: number;
  /** Power-iteration steps per training call (default 1); inference reuses the stored vector. */
  powerIterations?: number;
  /** Steps run at build so the estimate starts converged (default 30). */
  initialPowerIterations?: number;
  kernelInitializer?: InitializerIdentifier;
  seed?: number;
}

/**
 * Dense layer with a spectrally normalized kernel: y = act(x W_sn + b), W_sn = W * min(1, c / sigma_max(W)).
 * The power-iteration vector `u` is a non-trainable weight, so it is saved with the model and stays warm.
 */
export class SpectralDense extends tf.layers.Layer {
  static readonly className = 'SpectralDense';
  readonly units: number;
  readonly activationName: LipschitzActivation;
  readonly useBias: boolean;
  readonly coeff: number;
  readonly powerIterations: number;
  readonly initialPowerIterations: number;
  readonly kernelInitializerId: InitializerIdentifier;
  readonly seed: number | undefined;
  private readonly act: ActivationSpec;
  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;
  private u: LayerVariable | null = null;

  constructor(args: SpectralDenseArgs) {
    super(args);
    this.units = args.units;
    this.activationName = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.coeff = args.coeff ?? 1;
    this.powerIterations = args.powerIterations ?? 1;
    this.initialPowerIterations = args.initialPowerIterations ?? 30;
    this.kernelInitializerId = args.kernelInitializer ?? 'glorotUniform';
    this.seed = args.seed;
    if (!Number.isInteger(this.units) || this.units < 1)
      configError(this.name, `units must be a positive integer, got ${this.units}`);
    if (!(this.coeff > 0) || !Number.isFinite(this.coeff)) {
      configError(this.name, `coeff must be a finite number > 0, got ${this.coeff}`);
    }
    if (!Number.isInteger(this.powerIterations) || this.powerIterations < 0) {
      configError(this.name, `powerIterations must be a non-negative integer, got ${this.powerIterations}`);
    }
    this.act = getLipschitzActivation(this.name, this.activationName);
    resolveInitializer(this.name, this.kernelInitializerId, this.seed); // fail early on a bad identifier
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inDim = shape[shape.length - 1];
    if (shape.length < 2 || inDim === null || inDim === undefined) {
      configError(this.name, `expects inputs [batch, ..., features] with a known last axis, got [${shape}]`);
    }
    const init = resolveInitializer(this.name, this.kernelInitializerId, this.seed);
    this.kernel = this.addWeight('kernel', [inDim, this.units], 'float32', init, undefined, true);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.u = this.addWeight(
      'u',
      [this.units],
      'float32',
      tf.initializers.randomNormal({ seed: this.seed }),
      undefined,
      false,
    );
    this.inputSpec = [new tf.InputSpec({ minNDim: 2, axes: { [-1]: inDim } })];
    this.warmUp(this.initialPowerIterations);
    this.built = true;
  }

  /** Runs power iteration on the raw kernel and stores u, e.g. after setWeights() replaced the kernel. */
  warmUp(iterations: number): void {
    const [kernel, u] = this.variables();
    u.write(
      tf.tidy(() => powerIterateDense(kernel.read() as tf.Tensor2D, u.read() as tf.Tensor1D, iterations)),
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [kernel, u] = this.variables();
      const training = kwargs['training'] === true;
      const sn = normalizeDenseKernel(
        kernel.read() as tf.Tensor2D,
        u.read() as tf.Tensor1D,
        this.coeff,
        training ? this.powerIterations : 0,
      );
      if (training) u.write(sn.u);
      const flat = x.reshape([-1, kernel.shape[0]!]);
      let y: tf.Tensor = tf.matMul(flat, sn.kernel);
      if (this.bias !== null) y = tf.add(y, this.bias.read());
      return this.act.apply(y).reshape([...x.shape.slice(0, -1), this.units]);
    });
  }

  /** Lipschitz constant of the layer with the current weights: converged sigma of W_sn times the activation's. */
  lipschitzConstant(iterations = 50): number {
    const [kernel, u] = this.variables();
    const wsn = tf.tidy(
      () => normalizeDenseKernel(kernel.read() as tf.Tensor2D, u.read() as tf.Tensor1D, this.coeff, 0).kernel,
    );
    const sigma = denseSpectralNorm(wsn, iterations, this.seed);
    wsn.dispose();
    return sigma * this.act.lipschitz;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      units: this.units,
      activation: this.activationName,
      useBias: this.useBias,
      coeff: this.coeff,
      powerIterations: this.powerIterations,
      initialPowerIterations: this.initialPowerIterations,
      kernelInitializer: initializerToConfig(this.kernelInitializerId),
    };
    if (this.seed !== undefined) config['seed'] = this.seed;
    return { ...super.getConfig(), ...config };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const args = { ...config, kernelInitializer: initializerFromConfig(config['kernelInitializer']) };
    return new cls(args as unknown as SpectralDenseArgs);
  }

  private variables(): [LayerVariable, LayerVariable] {
    if (this.kernel === null || this.u === null) configError(this.name, 'used before it was built');
    return [this.kernel, this.u];
  }
}
tf.serialization.registerClass(SpectralDense, PACKAGE);
