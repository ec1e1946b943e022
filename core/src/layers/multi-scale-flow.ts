import * as tf from '@tensorflow/tfjs';
import type { InvertibleLayer } from './flow';
import { configError, type Invertible, type InverseReport, isInvertible } from './invertible';
import type { Kwargs } from './layer-util';
import { multiScaleFromWeights } from '../specs/multi-scale-flow';
import { Squeeze } from './squeeze';

/** Arguments of {@link MultiScaleFlow}. */
export interface MultiScaleFlowArgs {
  /**
   * The steps of each level, applied after that level's squeeze. Every level but the last then factors out
   * the second half of its channels as a latent. Each step must keep its input's shape (couplings, ActNorm,
   * 1x1 convolutions, permutations, i-ResNet blocks).
   */
  levels: readonly (readonly InvertibleLayer[])[];
  /** Shape of one input point, NHWC without the batch axis; otherwise taken from the first forward call. */
  inputShape?: readonly number[];
  /** Used in error messages and probe block names. Default 'multi_scale_flow'. */
  name?: string;
}

/** One level: the squeeze it owns and the user's steps. */
export interface MultiScaleLevel {
  readonly squeeze: Squeeze;
  readonly steps: readonly InvertibleLayer[];
}

/** What one level's forward pass gives: the state passed on and, except on the last level, a latent. */
export type LevelOutput = { h: tf.Tensor; z?: tf.Tensor };

/** A step that supports data-dependent initialisation (ActNorm). */
function hasInitialize(layer: unknown): layer is { initialize(x: tf.Tensor): void } {
  return typeof (layer as { initialize?: unknown }).initialize === 'function';
}

const shapeText = (shape: readonly (number | null)[]): string => `[${shape.join(', ')}]`;
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * A Glow / RealNVP multi-scale flow on NHWC inputs: each level squeezes (2x2 patches into channels), applies
 * its invertible steps and, except the last, factors out half of the channels as a latent z_i that skips the
 * later levels. `forward` gives every latent in order (the final state last); `inverse` needs all of them.
 *
 * Squeeze and the split only permute entries, so log|det| is the sum of the steps' terms; the Lipschitz bounds
 * compose level by level (see `lipschitzBounds`), not as the plain product over the steps. `flatten`/`unflatten`
 * concatenate the flattened latents into one vector, making the whole flow a bijection R^D -> R^D that probes
 * treat as an ordinary target.
 */
export class MultiScaleFlow implements Invertible {
  readonly name: string;
  readonly levels: readonly MultiScaleLevel[];
  private knownInputShape: number[] | undefined;

  constructor(args: MultiScaleFlowArgs) {
    this.name = args.name ?? 'multi_scale_flow';
    if (!Array.isArray(args.levels) || args.levels.length === 0)
      configError(this.name, 'needs at least one level');
    this.levels = args.levels.map((steps, i) => {
      if (!Array.isArray(steps)) configError(this.name, `level ${i} must be a list of invertible steps`);
      steps.forEach((s, j) => {
        if (!isInvertible(s)) {
          const what = String((s as { name?: unknown } | undefined)?.name);
          configError(this.name, `level ${i}, step ${j} (${what}) is not invertible`);
        }
      });
      return { squeeze: new Squeeze(), steps: [...steps] };
    });
    if (args.inputShape !== undefined) this.knownInputShape = this.checkInputShape(args.inputShape);
  }

  /** Shape of one input point, once given or seen. */
  get inputShape(): number[] | undefined {
    return this.knownInputShape === undefined ? undefined : [...this.knownInputShape];
  }

  /** Every step of every level, in forward order (without the squeezes). */
  get steps(): InvertibleLayer[] {
    return this.levels.flatMap((l) => [...l.steps]);
  }

  private checkInputShape(shape: readonly (number | null)[]): number[] {
    const fail = (why: string): never =>
      configError(this.name, `input shape ${shapeText(shape)} ${why} (one NHWC point, no batch axis)`);
    if (shape.length !== 3) fail('must have rank 3');
    if (shape.some((d) => d == null || !Number.isInteger(d) || d <= 0)) fail('must be positive integers');
    const scale = 2 ** this.levels.length;
    if (shape[0]! % scale !== 0 || shape[1]! % scale !== 0)
      fail(`needs height and width divisible by 2^levels = ${scale}`);
    return shape as number[];
  }

  /** Records the input shape on the first call (like a layer's build) and checks it against later ones. */
  private see(x: tf.Tensor): void {
    if (x.rank !== 4) configError(this.name, `expects rank 4 NHWC input, got ${shapeText(x.shape)}`);
    const point = x.shape.slice(1);
    this.knownInputShape ??= this.checkInputShape(point);
  }

  private need(inputShape: readonly number[] | undefined): number[] {
    const shape = inputShape ?? this.knownInputShape;
    if (shape === undefined)
      configError(this.name, 'the input shape is unknown: pass `inputShape` or call forward() first');
    return this.checkInputShape(shape);
  }

  /** Level i on its input state (steps then, except on the last level, the split). */
  levelForward(i: number, h: tf.Tensor, kwargs: Kwargs = {}): LevelOutput {
    const level = this.level(i);
    return tf.tidy(() => {
      const y = level.steps.reduce<tf.Tensor>(
        (s, b) => b.apply(s, kwargs) as tf.Tensor,
        level.squeeze.apply(h) as tf.Tensor,
      );
      return this.split(i, y);
    });
  }

  /** Undoes level i: the state it passed on and (except on the last level) its latent. */
  levelInverse(i: number, h: tf.Tensor, z?: tf.Tensor): tf.Tensor {
    const level = this.level(i);
    const last = i === this.levels.length - 1;
    if (last !== (z === undefined))
      configError(
        this.name,
        `level ${i} ${last ? 'factors out no latent' : 'needs its factored-out latent'}`,
      );
    return tf.tidy(() => {
      const y = z === undefined ? h : tf.concat([h, z], -1);
      return level.squeeze.inverse(level.steps.reduceRight<tf.Tensor>((s, b) => b.inverse(s), y));
    });
  }

  /** Sum of level i's step log-dets at the state it receives, shape [batch]. */
  levelLogDet(i: number, h: tf.Tensor): tf.Tensor1D {
    const level = this.level(i);
    return tf.tidy(() => {
      let s = level.squeeze.apply(h) as tf.Tensor;
      let total: tf.Tensor1D = tf.zeros([h.shape[0]!]);
      for (const b of level.steps) {
        const next = b.apply(s) as tf.Tensor;
        total = tf.add(total, b.logDetJacobian(s));
        s = next;
      }
      return total;
    });
  }

  private level(i: number): MultiScaleLevel {
    const level = this.levels[i];
    if (level === undefined) configError(this.name, `has no level ${i} (it has ${this.levels.length})`);
    return level;
  }

  private split(i: number, y: tf.Tensor): LevelOutput {
    if (i === this.levels.length - 1) return { h: y };
    const c = y.shape[y.rank - 1]!;
    if (c % 2 !== 0) configError(this.name, `level ${i} has ${c} channels, cannot factor out half`);
    const [h, z] = tf.split(y, 2, -1) as [tf.Tensor, tf.Tensor];
    return { h, z };
  }

  /** Every factored-out latent, then the final state: one tensor per level. */
  forward(x: tf.Tensor, kwargs: Kwargs = {}): { latents: tf.Tensor[] } {
    const { latents, logDet } = this.pass(x, kwargs, false);
    logDet.dispose();
    return { latents };
  }

  /** Latents and log|det dF/dx| per example; each step's term is taken at the input it sees. */
  forwardWithLogDet(x: tf.Tensor, kwargs: Kwargs = {}): { latents: tf.Tensor[]; logDet: tf.Tensor1D } {
    return this.pass(x, kwargs, true);
  }

  private pass(
    x: tf.Tensor,
    kwargs: Kwargs,
    withLogDet: boolean,
  ): { latents: tf.Tensor[]; logDet: tf.Tensor1D } {
    this.see(x);
    return tf.tidy(() => {
      const latents: tf.Tensor[] = [];
      let logDet: tf.Tensor1D = tf.zeros([x.shape[0]!]);
      let h = x;
      for (const [i, level] of this.levels.entries()) {
        let s = level.squeeze.apply(h) as tf.Tensor;
        for (const b of level.steps) {
          // Apply first so a data-initialised block's log-det reflects the initialised weights.
          const next = b.apply(s, kwargs) as tf.Tensor;
          if (withLogDet) logDet = tf.add(logDet, b.logDetJacobian(s));
          s = next;
        }
        const out = this.split(i, s);
        if (out.z !== undefined) latents.push(out.z);
        h = out.h;
      }
      latents.push(h);
      return { latents, logDet };
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => this.forwardWithLogDet(x).logDet);
  }

  /**
   * x from every latent (as `forward` returns them). Throws, naming the flow, when a latent is missing or
   * has a shape that does not fit its level.
   */
  inverse(latents: tf.Tensor | readonly tf.Tensor[]): tf.Tensor {
    const n = this.levels.length;
    if (!Array.isArray(latents)) {
      configError(
        this.name,
        `inverse needs the list of all ${n} latents (one per level), got a single tensor; ` +
          'use unflatten() for a flat vector',
      );
    }
    const list = latents as readonly tf.Tensor[];
    if (list.length !== n)
      configError(this.name, `inverse needs ${n} latents (one per level, in order), got ${list.length}`);
    const last = list[n - 1]!;
    if (last.rank !== 4 || last.shape[3]! % 4 !== 0) {
      configError(
        this.name,
        `latent ${n - 1} (final) must be rank 4 NHWC with channels divisible by 4, got ${shapeText(last.shape)}`,
      );
    }
    return tf.tidy(() => {
      let h = last;
      for (let i = n - 1; i >= 0; i--) {
        const z = i === n - 1 ? undefined : list[i]!;
        // The split halves the channels, so a factored-out latent has the shape of the state it left.
        if (z !== undefined && !tf.util.arraysEqual(z.shape, h.shape)) {
          configError(
            this.name,
            `latent ${i} has shape ${shapeText(z.shape)}, but level ${i} factors out ${shapeText(h.shape)}`,
          );
        }
        h = this.levelInverse(i, h, z);
      }
      return h;
    });
  }

  /** Shape of every latent (no batch axis) for inputs of `inputShape`, default the known input shape. */
  latentShapes(inputShape?: readonly number[]): number[][] {
    let shape: tf.Shape = [null, ...this.need(inputShape)];
    const out: number[][] = [];
    for (const [i, level] of this.levels.entries()) {
      shape = level.squeeze.computeOutputShape(shape) as tf.Shape;
      for (const b of level.steps) shape = b.computeOutputShape(shape) as tf.Shape;
      const point = shape.slice(1) as number[];
      if (i === this.levels.length - 1) out.push(point);
      else {
        const c = point[2]!;
        if (c % 2 !== 0) configError(this.name, `level ${i} has ${c} channels, cannot factor out half`);
        const half = [point[0]!, point[1]!, c / 2];
        out.push(half);
        shape = [null, ...half];
      }
    }
    return out;
  }

  /** The latents as one [batch, D] tensor: each flattened, concatenated in order. */
  flatten(latents: readonly tf.Tensor[]): tf.Tensor2D {
    if (latents.length !== this.levels.length) {
      configError(
        this.name,
        `flatten needs ${this.levels.length} latents (one per level), got ${latents.length}`,
      );
    }
    return tf.tidy(
      () =>
        tf.concat(
          latents.map((z) => tf.reshape(z, [z.shape[0]!, -1])),
          1,
        ) as tf.Tensor2D,
    );
  }

  /** Undoes `flatten`: a [batch, D] tensor split into every latent. */
  unflatten(z: tf.Tensor, inputShape?: readonly number[]): tf.Tensor[] {
    const shapes = this.latentShapes(inputShape);
    const sizes = shapes.map(size);
    const d = sizes.reduce((a, b) => a + b, 0);
    if (z.rank !== 2 || z.shape[1] !== d)
      configError(this.name, `unflatten expects [batch, ${d}], got ${shapeText(z.shape)}`);
    return tf.tidy(() => {
      const parts = tf.split(z, sizes, 1);
      return parts.map((p, i) => tf.reshape(p, [z.shape[0]!, ...shapes[i]!]));
    });
  }

  /**
   * n samples F^-1(z), every latent drawn from N(0, T^2): the flow's own sampling path, where an exploding
   * inverse shows as NaN/Inf or huge values.
   */
  sample(n: number, temperature = 1, seed?: number, inputShape?: readonly number[]): tf.Tensor {
    if (!Number.isInteger(n) || n <= 0) configError(this.name, `sample needs a positive count, got ${n}`);
    if (!(temperature >= 0)) configError(this.name, `sample needs a temperature >= 0, got ${temperature}`);
    const shapes = this.latentShapes(inputShape);
    return tf.tidy(() => {
      const latents = shapes.map((s, i) =>
        tf.randomNormal([n, ...s], 0, temperature, 'float32', seed === undefined ? undefined : seed + i),
      );
      return this.inverse(latents);
    });
  }

  /**
   * Level by level from the last: B_i = L_i * max(1, B_next), with L_i the product of level i's step bounds (a
   * factored-out half leaves unchanged, so a contracting later level cannot pull the constant below 1). The
   * formula, and why it holds, is in core/src/specs/multi-scale-flow.ts, which the static calculus uses too.
   */
  lipschitzBounds(): { forward: number; inverse: number } {
    return multiScaleFromWeights(
      this.levels.map((level) => {
        const steps = level.steps.map((b) => b.lipschitzBounds());
        return { forward: steps.map((b) => b.forward), inverse: steps.map((b) => b.inverse) };
      }),
    );
  }

  /** Data-dependent initialisation: each step that supports it (ActNorm) is initialised on its own input. */
  initialize(x: tf.Tensor): void {
    this.see(x);
    let h = tf.clone(x);
    for (const [i, level] of this.levels.entries()) {
      let s = level.squeeze.apply(h) as tf.Tensor;
      h.dispose();
      for (const b of level.steps) {
        if (hasInitialize(b)) b.initialize(s);
        const next = b.apply(s) as tf.Tensor;
        s.dispose();
        s = next;
      }
      const out = this.split(i, s);
      if (out.h !== s) s.dispose();
      out.z?.dispose();
      h = out.h;
    }
    h.dispose();
  }

  /** Convergence reports of the steps whose inverse is iterative (e.g. the i-ResNet block). */
  inverseReports(): { layer: string; report: InverseReport }[] {
    return this.steps.flatMap((b) =>
      b.lastInverseReport === undefined ? [] : [{ layer: b.name, report: b.lastInverseReport() }],
    );
  }
}
