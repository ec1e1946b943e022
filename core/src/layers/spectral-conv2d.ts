import * as tf from '@tensorflow/tfjs';
import { configError, PACKAGE } from './invertible';
import { singleShape } from './layer-util';
import { conv2d } from './portable-ops';
import { SpectralLayer, type SpectralLayerArgs, type SpectralOperator } from './spectral-layer';
import {
  type ConvGeometry,
  type ConvPadding,
  certifiedConvNorm,
  convOperatorNorm,
  normalizeConvKernel,
  powerIterateConv,
} from './spectral-norm';

export interface SpectralConv2DArgs extends SpectralLayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  /** 'valid' (default, as tf.layers.conv2d) or 'same'. */
  padding?: ConvPadding;
}

function pair(layerName: string, what: string, v: number | [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((n) => Number.isInteger(n) && n > 0)) {
    configError(layerName, `${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** The convolution operator on one input shape, as power iteration sees it. */
function convOperator(g: ConvGeometry): SpectralOperator<tf.Tensor4D, tf.Tensor3D> {
  return {
    iterate: (kernel, u, iterations) => powerIterateConv(kernel, u, g, iterations),
    normalize: (kernel, u, coeff, iterations, mode) =>
      normalizeConvKernel(kernel, u, g, coeff, iterations, mode),
    norm: (kernel, iterations, seed) =>
      convOperatorNorm(kernel, g.inputShape, g.strides, g.padding, iterations, seed),
    certify: (kernel) => certifiedConvNorm(kernel, g),
  };
}

/**
 * channels_last 2-D convolution normalized by the norm of the *convolution operator* on the layer's input
 * shape, with its strides and padding: by default a certified bound (per-frequency Gram iteration, see
 * linalg/conv-bound.ts), with norm 'power' the power estimate (conv2d and conv2dTranspose). That norm depends on
 * padding, strides and image size, and can be well below the reshaped kernel's norm, so the input's spatial
 * size must be known at build time and stays fixed.
 */
export class SpectralConv2D extends SpectralLayer<tf.Tensor4D, tf.Tensor3D> {
  static readonly className = 'SpectralConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: ConvPadding;

  constructor(args: SpectralConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = pair(this.name, 'kernelSize', args.kernelSize);
    this.strides = pair(this.name, 'strides', args.strides ?? 1);
    this.padding = args.padding ?? 'valid';
    if (!Number.isInteger(this.filters) || this.filters < 1) {
      configError(this.name, `filters must be a positive integer, got ${this.filters}`);
    }
    if (this.padding !== 'same' && this.padding !== 'valid') {
      configError(this.name, `padding must be 'same' or 'valid', got '${String(this.padding)}'`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
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
    const geometry: ConvGeometry = { inputShape: [h, w, cin], strides: this.strides, padding: this.padding };
    this.addSpectralWeights([kh, kw, cin, this.filters], [h, w, cin], convOperator(geometry));
    this.inputSpec = [new tf.InputSpec({ ndim: 4, axes: { 1: h, 2: w, 3: cin } })];
    this.built = true;
  }

  protected override applyKernel(x: tf.Tensor, kernel: tf.Tensor4D): tf.Tensor {
    return conv2d(x as tf.Tensor4D, kernel, this.strides, this.padding);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
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
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
    };
  }
}
tf.serialization.registerClass(SpectralConv2D, PACKAGE);
