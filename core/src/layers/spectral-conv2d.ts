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
import {
  type ConvGeometry,
  type ConvPadding,
  convOperatorNorm,
  normalizeConvKernel,
  powerIterateConv,
} from './spectral-norm';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface SpectralConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  /** 'valid' (default, as tf.layers.conv2d) or 'same'. */
  padding?: ConvPadding;
  activation?: LipschitzActivation;
  useBias?: boolean;
  /** Bound c > 0 on the norm of the convolution operator (default 1). */
  coeff?: number;
  powerIterations?: number;
  initialPowerIterations?: number;
  kernelInitializer?: InitializerIdentifier;
  seed?: number;
}

function pair(layerName: string, what: string, v: number | [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((n) => Number.isInteger(n) && n > 0)) {
    configError(layerName, `${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/**
 * channels_last 2-D convolution normalized by the norm of the *convolution operator* on the layer's input
 * shape (power iteration with conv2d and conv2dTranspose, same strides and padding). That norm depends on
 * padding, strides and image size, and can be well below the reshaped kernel's norm, so the input's spatial
 * size must be known at build time and stays fixed.
 */
export class SpectralConv2D extends tf.layers.Layer {
  static readonly className = 'SpectralConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: ConvPadding;
  readonly activationName: LipschitzActivation;
  readonly useBias: boolean;
  readonly coeff: number;
  readonly powerIterations: number;
  readonly initialPowerIterations: number;
  readonly kernelInitializerId: InitializerIdentifier;
  readonly seed: number | undefined;
  private readonly act: ActivationSpec;
  private geometry: ConvGeometry | null = null;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  private u: tf.LayerVariable | null = null;

  constructor(args: SpectralConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = pair(this.name, 'kernelSize', args.kernelSize);
    this.strides = pair(this.name, 'strides', args.strides ?? 1);
    this.padding = args.padding ?? 'valid';
    this.activationName = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.coeff = args.coeff ?? 1;
    this.powerIterations = args.powerIterations ?? 1;
    this.initialPowerIterations = args.initialPowerIterations ?? 30;
    this.kernelInitializerId = args.kernelInitializer ?? 'glorotUniform';
    this.seed = args.seed;
    if (!Number.isInteger(this.filters) || this.filters < 1) {
      configError(this.name, `filters must be a positive integer, got ${this.filters}`);
    }
    if (this.padding !== 'same' && this.padding !== 'valid') {
      configError(this.name, `padding must be 'same' or 'valid', got '${String(this.padding)}'`);
    }
    if (!(this.coeff > 0) || !Number.isFinite(this.coeff)) {
      configError(this.name, `coeff must be a finite number > 0, got ${this.coeff}`);
    }
    if (!Number.isInteger(this.powerIterations) || this.powerIterations < 0) {
      configError(this.name, `powerIterations must be a non-negative integer, got ${this.powerIterations}`);
    }
    this.act = getLipschitzActivation(this.name, this.activationName);
    resolveInitializer(this.name, this.kernelInitializerId, this.seed);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [, h, w, cin] = shape;
    if (shape.length !== 4 || h == null || w == null || cin == null) {
      configError(
        this.name,
        `expects inputs [batch, height, width, channels] with known sizes, got [${shape}]`,
      );
    }
    const [kh, kw] = this.kernelSize;
    if (this.padding === 'valid' && (h < kh || w < kw)) {
      configError(this.name, `input ${h}x${w} is smaller than the ${kh}x${kw} kernel with 'valid' padding`);
    }
    this.geometry = { inputShape: [h, w, cin], strides: this.strides, padding: this.padding };
    const init = resolveInitializer(this.name, this.kernelInitializerId, this.seed);
    this.kernel = this.addWeight('kernel', [kh, kw, cin, this.filters], 'float32', init, undefined, true);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.u = this.addWeight(
      'u',
      [h, w, cin],
      'float32',
      tf.initializers.randomNormal({ seed: this.seed }),
      undefined,
      false,
    );
    this.inputSpec = [new tf.InputSpec({ ndim: 4, axes: { 1: h, 2: w, 3: cin } })];
    this.warmUp(this.initialPowerIterations);
    this.built = true;
  }

  /** Runs power iteration on the raw kernel and stores u, e.g. after setWeights() replaced the kernel. */
  warmUp(iterations: number): void {
    const [kernel, u, g] = this.state();
    u.write(
      tf.tidy(() => powerIterateConv(kernel.read() as tf.Tensor4D, u.read() as tf.Tensor3D, g, iterations)),
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      const [kernel, u, g] = this.state();
      const training = kwargs['training'] === true;
      const sn = normalizeConvKernel(
        kernel.read() as tf.Tensor4D,
        u.read() as tf.Tensor3D,
        g,
        this.coeff,
        training ? this.powerIterations : 0,
      );
      if (training) u.write(sn.u);
      let y: tf.Tensor = tf.conv2d(x, sn.kernel, this.strides, this.padding);
      if (this.bias !== null) y = tf.add(y, this.bias.read());
      return this.act.apply(y);
    });
  }

  /** Lipschitz constant with the current weights: converged operator norm of conv(W_sn) times the activation's. */
  lipschitzConstant(iterations = 50): number {
    const [kernel, u, g] = this.state();
    const ksn = tf.tidy(
      () =>
        normalizeConvKernel(kernel.read() as tf.Tensor4D, u.read() as tf.Tensor3D, g, this.coeff, 0).kernel,
    );
    const sigma = convOperatorNorm(ksn, g.inputShape, g.strides, g.padding, iterations, this.seed);
    ksn.dispose();
    return sigma * this.act.lipschitz;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = (size: number | null | undefined, k: number, s: number): number | null => {
      if (size == null) return null;
      return this.padding === 'same' ? Math.ceil(size / s) : Math.ceil((size - k + 1) / s);
    };
    return [
      shape[0] ?? null,
      out(shape[1], this.kernelSize[0], this.strides[0]),
      out(shape[2], this.kernelSize[1], this.strides[1]),
      this.filters,
    ];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
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
    return new cls(args as unknown as SpectralConv2DArgs);
  }

  private state(): [tf.LayerVariable, tf.LayerVariable, ConvGeometry] {
    if (this.kernel === null || this.u === null || this.geometry === null) {
      configError(this.name, 'used before it was built');
    }
    return [this.kernel, this.u, this.geometry];
  }
}
tf.serialization.registerClass(SpectralConv2D, PACKAGE);
