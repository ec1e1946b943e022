import * as tf from '@tensorflow/tfjs';
import {
  invertLower,
  invertUpper,
  luDecompose,
  matMul,
  matrix,
  type Matrix64,
  randomRotation,
  transpose,
} from '../linalg/matrix64';
import { gramSpectralBound } from '../linalg/gram';
import { inverseNormBound } from '../linalg/inverse-bound';
import { configError, type Invertible, PACKAGE } from './invertible';
import { type Kwargs, type LayerArgs, LazyBuildLayer, single, singleShape } from './layer-util';
import { hashSeed, SeededRandom } from './seeded-random';
import { invertibleLinearFromWeights } from '../specs/invertible-linear';

/** Arguments of the LU-parameterised invertible linear maps. */
export interface InvertibleLinearArgs extends LayerArgs {
  /** Seed of the initial random rotation. Default: derived from the layer name. */
  seed?: number;
}

/**
 * y = x W on the last axis with W = P L (U + diag(sign * exp(logScale))) (Kingma & Dhariwal 2018):
 * P a fixed permutation and `sign` fixed (non-trainable), L unit lower triangular, U strictly upper.
 * log|det W| = sum logScale, so the log-det costs O(n) and W stays invertible whatever the optimiser does
 * to L and U. Initialised from a seeded random rotation decomposed by LU in float64.
 */
export abstract class LUInvertible extends LazyBuildLayer implements Invertible {
  readonly seed: number;
  private vars: {
    perm: tf.LayerVariable;
    lower: tf.LayerVariable;
    upper: tf.LayerVariable;
    logScale: tf.LayerVariable;
    sign: tf.LayerVariable;
  } | null = null;

  /** The input rank this layer accepts. */
  protected abstract readonly expectedRank: number;

  constructor(args: InvertibleLinearArgs) {
    super(args);
    this.seed = args.seed ?? hashSeed(this.name);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (shape.length !== this.expectedRank) {
      configError(this.name, `expects rank ${this.expectedRank} input, got rank ${shape.length}`);
    }
    const n = shape[shape.length - 1];
    if (n == null) configError(this.name, 'needs a known channel count on the last axis');
    const { perm, lower, upper } = luDecompose(randomRotation(n, new SeededRandom(this.seed)));
    // Rows perm of the rotation equal L U, so rotation = P L U with P[perm[i], i] = 1.
    const p = matrix(n, n);
    perm.forEach((row, i) => (p.data[row * n + i] = 1));
    const diag = Array.from({ length: n }, (_, i) => upper.data[i * n + i]!);
    const zeros = tf.initializers.zeros();
    this.vars = {
      perm: this.addLayerWeight('permutation', [n, n], zeros, false),
      lower: this.addLayerWeight('lower', [n, n], zeros),
      upper: this.addLayerWeight('upper', [n, n], zeros),
      logScale: this.addLayerWeight('log_scale', [n], zeros),
      sign: this.addLayerWeight('sign', [n], zeros, false),
    };
    const v = this.vars;
    tf.tidy(() => {
      v.perm.write(tf.tensor2d(Float32Array.from(p.data), [n, n], 'float32'));
      v.lower.write(tf.tensor2d(Float32Array.from(lower.data), [n, n], 'float32'));
      v.upper.write(tf.tensor2d(Float32Array.from(upper.data), [n, n], 'float32'));
      v.logScale.write(tf.tensor1d(diag.map((d) => Math.log(Math.abs(d)))));
      v.sign.write(tf.tensor1d(diag.map(Math.sign)));
    });
    this.built = true;
  }

  private variables(x: tf.Tensor): NonNullable<LUInvertible['vars']> {
    this.ensureBuilt(x.shape);
    return this.vars!;
  }

  /** W as a tensor (differentiable in lower, upper and logScale); the caller owns the tidy scope. */
  private kernel(x: tf.Tensor): tf.Tensor2D {
    const v = this.variables(x);
    const lower = v.lower.read() as tf.Tensor2D;
    const upper = v.upper.read() as tf.Tensor2D;
    const n = lower.shape[0];
    const eye = tf.eye(n);
    // Constant triangular masks rather than tf.linalg.bandPart, whose unstack/stack gradient throws in tfjs.
    const strictLower = tf.sub(tf.linalg.bandPart(tf.ones([n, n]), -1, 0), eye);
    const l = tf.add(tf.mul(lower, strictLower), eye);
    // eye * s broadcasts s along rows, i.e. diag(s); tf.diag has no gradient in tfjs.
    const diag = tf.mul(eye, tf.mul(v.sign.read(), tf.exp(v.logScale.read())));
    const u = tf.add(tf.mul(upper, tf.transpose(strictLower)), diag);
    return tf.matMul(tf.matMul(v.perm.read() as tf.Tensor2D, l as tf.Tensor2D), u as tf.Tensor2D);
  }

  /** The factors read back in float64: P, unit-lower L and U with its diagonal. */
  private factors64(): { p: Matrix64; l: Matrix64; u: Matrix64 } {
    if (this.vars === null) configError(this.name, 'is not built yet');
    const v = this.vars;
    const n = v.logScale.shape[0]!;
    const l = matrix(n, n, v.lower.read().dataSync());
    const u = matrix(n, n, v.upper.read().dataSync());
    const logScale = v.logScale.read().dataSync();
    const sign = v.sign.read().dataSync();
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j >= i) l.data[i * n + j] = i === j ? 1 : 0;
        if (j <= i) u.data[i * n + j] = i === j ? sign[i]! * Math.exp(logScale[i]!) : 0;
      }
    }
    return { p: matrix(n, n, v.perm.read().dataSync()), l, u };
  }

  /** W in float64, from the current weights. */
  weightMatrix(): Matrix64 {
    const { p, l, u } = this.factors64();
    return matMul(matMul(p, l), u);
  }

  /** W^-1 = U^-1 L^-1 P^T by triangular substitution in float64 (tfjs has no solver). */
  inverseWeightMatrix(): Matrix64 {
    const { p, l, u } = this.factors64();
    return matMul(matMul(invertUpper(u), invertLower(l)), transpose(p));
  }

  /** Applies a [n, n] matrix on the last axis of x, flattening leading axes. */
  private applyMatrix(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
    const n = x.shape[x.rank - 1]!;
    return tf.reshape(tf.matMul(tf.reshape(x, [-1, n]) as tf.Tensor2D, w), x.shape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    this.variables(x);
    return tf.tidy(() => this.applyMatrix(x, this.kernel(x)));
  }

  inverse(y: tf.Tensor): tf.Tensor {
    this.variables(y);
    const inv = this.inverseWeightMatrix();
    return tf.tidy(() =>
      this.applyMatrix(y, tf.tensor2d(Float32Array.from(inv.data), [inv.rows, inv.cols], 'float32')),
    );
  }

  /** sum logScale times the number of spatial positions, the same for every example. */
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    const v = this.variables(x);
    const positions = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    return tf.tidy(() => tf.mul(tf.ones([x.shape[0]!]), tf.mul(tf.sum(v.logScale.read()), positions)));
  }

  /**
   * Forward sigma_max(W), inverse 1 / sigma_min(W), both certified in float64: a Gram bound of W, and a bound of
   * ||W^-1|| from the triangular-substitution inverse and its residual (core/src/linalg/inverse-bound.ts).
   */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.vars === null) return { forward: Infinity, inverse: Infinity };
    const w = this.weightMatrix();
    const inverse = inverseNormBound(w, this.inverseWeightMatrix());
    return invertibleLinearFromWeights([1 / inverse, gramSpectralBound(w).bound]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}

/** Invertible dense map on rank-2 [batch, features] inputs; see {@link LUInvertible}. */
export class InvertibleLinear extends LUInvertible {
  static className = 'InvertibleLinear';
  protected readonly expectedRank = 2;

  constructor(args: InvertibleLinearArgs = {}) {
    super(args);
  }
}
tf.serialization.registerClass(InvertibleLinear, PACKAGE);
