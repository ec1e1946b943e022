/**
 * The additive reversible block of RevNet / i-RevNet, y1 = x1 + F(x2), y2 = x2 + G(y1), whose backward pass can
 * rebuild the block's input from its output instead of keeping F's and G's activations (specification and bound
 * proof: core/src/specs/reversible-block.ts).
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
import { type ConditionerActivation, COUPLING_NET_DEFAULTS, couplingNetError } from '../specs/coupling-net';
import { REVERSIBLE_BLOCK_DEFAULTS, reversibleBlockFromWeights } from '../specs/reversible-block';

/**
 * Arguments of {@link ReversibleBlock}. F and G are MLPs with the coupling conditioner's settings
 * (`hiddenUnits`, `hiddenLayers`, `activation`, `zeroInit`, `seed`, `conditionerNorm`, see {@link CouplingArgs});
 * rank-2 [batch, features] inputs with an even feature count only.
 */
export interface ReversibleBlockArgs extends Omit<CouplingArgs, 'hiddenChannels'> {
  /**
   * Backward pass by rebuilding the input from the output (x2 = y2 - G(y1), x1 = y1 - F(x2)) and
   * differentiating F and G there, so no activation inside F or G is kept for the backward pass. false: ordinary
   * backprop through stored activations. Default true.
   */
  memorySaving?: boolean;
  /**
   * With `memorySaving`: keep the input too and, in every backward pass, also compute the gradients at the stored
   * input; `lastGradientCheck()` then reports how far the rebuilt gradients are from them. Default false.
   */
  checkGradients?: boolean;
}

/** How the last memory-saving backward pass compared with backprop at the stored input (checkGradients). */
export interface GradientCheck {
  /** |x_rebuilt - x| / |x| over the batch (0 when both vanish). */
  reconstruction: number;
  /** |g_rebuilt - g_stored| / |g_stored| for the gradient wrt the block's input. */
  input: number;
  /** The same over every weight gradient of F and G, concatenated. */
  weights: number;
}

/** F's and G's kernels and biases as applied, in the custom op's input order. */
interface BranchWeights {
  kf: readonly tf.Tensor[];
  bf: readonly tf.Tensor[];
  kg: readonly tf.Tensor[];
  bg: readonly tf.Tensor[];
}

/** An MLP's layer inputs and pre-activations, kept only inside a backward pass. */
interface MlpTrace {
  out: tf.Tensor2D;
  inputs: tf.Tensor2D[];
  pre: tf.Tensor2D[];
}

function mlpTrace(
  x: tf.Tensor2D,
  kernels: readonly tf.Tensor[],
  biases: readonly tf.Tensor[],
  activation: ConditionerActivation,
): MlpTrace {
  const inputs: tf.Tensor2D[] = [];
  const pre: tf.Tensor2D[] = [];
  let h = x;
  kernels.forEach((k, i) => {
    inputs.push(h);
    const z = tf.add(tf.matMul(h, k as tf.Tensor2D), biases[i]!) as tf.Tensor2D;
    if (i + 1 < kernels.length) {
      pre.push(z);
      h = activate(z, activation) as tf.Tensor2D;
    } else h = z;
  });
  return { out: h, inputs, pre };
}

/** The MLP's vector-Jacobian product with `cot`: wrt its input, its kernels and its biases. */
function mlpVjp(
  trace: MlpTrace,
  cot: tf.Tensor2D,
  kernels: readonly tf.Tensor[],
  activation: ConditionerActivation,
): { input: tf.Tensor2D; kernels: tf.Tensor[]; biases: tf.Tensor[] } {
  const dk: tf.Tensor[] = [];
  const db: tf.Tensor[] = [];
  let dz = cot;
  for (let i = kernels.length - 1; i >= 0; i--) {
    dk[i] = tf.matMul(trace.inputs[i]!, dz, true, false);
    db[i] = tf.sum(dz, 0);
    const dh: tf.Tensor2D = tf.matMul(dz, kernels[i] as tf.Tensor2D, false, true);
    dz = i > 0 ? (tf.mul(dh, activationSlope(trace.pre[i - 1]!, activation)) as tf.Tensor2D) : dh;
  }
  return { input: dz, kernels: dk, biases: db };
}

/** |a - b| / |b| over the whole tensors (0 when both vanish). */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  const [diff, ref] = [tf.norm(tf.sub(a, b)).dataSync()[0]!, tf.norm(b).dataSync()[0]!];
  return diff === 0 ? 0 : diff / ref;
}

/**
 * RevNet / i-RevNet additive reversible block on [batch, d] inputs, d even: with x = [x1 | x2],
 * y1 = x1 + F(x2), y2 = x2 + G(y1). Exactly invertible in closed form, volume preserving (log-det 0), and
 * bi-Lipschitz with the same constant both ways, sigma_max([[1, a], [b, 1 + ab]]) <= (1 + a)(1 + b) for
 * a = Lip(F), b = Lip(G) (proof: core/src/specs/reversible-block.ts).
 *
 * With `memorySaving` (the default) the forward pass runs inside a tf.customGrad that keeps only the block's
 * output: the gradient rebuilds the input with the inverse and differentiates F and G at the rebuilt
 * activations (Gomez et al. 2017), by a hand-written backward pass of the two MLPs. Its error is the
 * reconstruction error carried through the backward pass; `checkGradients` measures it against backprop at the
 * stored input, batch by batch.
 */
export class ReversibleBlock extends LazyBuildLayer implements Invertible {
  static className = 'ReversibleBlock';
  readonly hiddenUnits: number;
  readonly hiddenLayers: number;
  readonly activation: ConditionerActivation;
  readonly zeroInit: boolean;
  readonly seed: number;
  readonly conditionerNorm: number | undefined;
  readonly memorySaving: boolean;
  readonly checkGradients: boolean;
  private f: Conditioner | null = null;
  private g: Conditioner | null = null;
  private check: GradientCheck | undefined = undefined;

  constructor(args: ReversibleBlockArgs = {}) {
    super(args);
    const settings = conditionerSettings(args, this.name);
    ({
      hiddenUnits: this.hiddenUnits,
      hiddenLayers: this.hiddenLayers,
      activation: this.activation,
      zeroInit: this.zeroInit,
      seed: this.seed,
      conditionerNorm: this.conditionerNorm,
    } = settings);
    this.memorySaving = args.memorySaving ?? REVERSIBLE_BLOCK_DEFAULTS.memorySaving;
    this.checkGradients = args.checkGradients ?? REVERSIBLE_BLOCK_DEFAULTS.checkGradients;
    const error = couplingNetError({ ...settings, hiddenChannels: COUPLING_NET_DEFAULTS.hiddenChannels });
    if (error !== undefined) configError(this.name, error);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const d = shape[shape.length - 1];
    if (shape.length !== 2 || d == null || d % 2 !== 0) {
      configError(this.name, `expects [batch, d] inputs with d even and known, got [${shape.join(', ')}]`);
    }
    const half = d / 2;
    const branch = (prefix: string, seed: number): Conditioner =>
      new Conditioner(
        2,
        half,
        this.hiddenUnits,
        this.hiddenLayers,
        half,
        this.activation,
        this.zeroInit,
        seed,
        (name, wShape, init) => this.addLayerWeight(`${prefix}_${name}`, wShape, init),
        this.conditionerNorm,
      );
    this.f = branch('F', this.seed);
    // Seeds of G's kernels follow F's (one per kernel), so the two branches start different.
    this.g = branch('G', this.seed + this.hiddenLayers + 1);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  private branches(x: tf.Tensor): { f: Conditioner; g: Conditioner } {
    this.ensureBuilt(x.shape);
    return { f: this.f!, g: this.g! };
  }

  private split(x: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] {
    const half = x.shape[1]! / 2;
    const [a, b] = tf.split(x, [half, half], 1);
    return [a as tf.Tensor2D, b as tf.Tensor2D];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const { f, g } = this.branches(x);
      if (!this.memorySaving) {
        const [x1, x2] = this.split(x);
        const y1 = tf.add(x1, f.apply(x2));
        return tf.concat([y1, tf.add(x2, g.apply(y1))], 1);
      }
      return this.memorySavingForward(x, f, g);
    });
  }

  /**
   * The forward pass as one tf.customGrad op whose inputs are x and every applied kernel and bias of F then G,
   * so the tape sees no op inside F or G and the weight gradients reach the variables (through the norm
   * projection of `conditionerNorm`, which is outside the op).
   */
  private memorySavingForward(x: tf.Tensor, f: Conditioner, g: Conditioner): tf.Tensor {
    const n = f.kernels.length;
    // The op's inputs are the variables themselves (persistent: nothing to keep for the backward pass); the norm
    // projection's factors are constants of this call, applied inside.
    const scales = [...f.scales(), ...g.scales()];
    const variables = [f.kernels, f.biases, g.kernels, g.biases].flatMap((ws) => ws.map((v) => v.read()));
    const applied = (w: readonly tf.Tensor[]): BranchWeights => {
      const k = (from: number, s: readonly number[]): tf.Tensor[] =>
        w.slice(from, from + n).map((t, i) => (s[i] === 1 ? t : tf.mul(t, s[i]!)));
      return {
        kf: k(0, scales.slice(0, n)),
        bf: w.slice(n, 2 * n),
        kg: k(2 * n, scales.slice(n)),
        bg: w.slice(3 * n, 4 * n),
      };
    };
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args.pop() as tf.GradSaveFunc;
      const [input, ...w] = args as tf.Tensor[];
      const { kf, bf, kg, bg } = applied(w);
      const [x1, x2] = this.split(input!);
      const y1 = tf.add(x1, mlpTrace(x2, kf, bf, this.activation).out) as tf.Tensor2D;
      const y = tf.concat([y1, tf.add(x2, mlpTrace(y1, kg, bg, this.activation).out)], 1);
      // Kept: the output, and the input only for the check.
      save(this.checkGradients ? [y, input!] : [y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const at = applied(w);
          const [sy1, sy2] = this.split(saved[0]!);
          const rebuilt = this.backward(sy1, (gOut) => tf.sub(sy2, gOut), dy, at);
          if (saved[1] !== undefined) this.check = this.compare(rebuilt, saved[1], dy, at);
          // Gradients wrt the applied kernels, carried to the variables through the constant factors.
          const [dx, ...dw] = rebuilt.grads;
          const kernelScale = (i: number): number =>
            i < n ? scales[i]! : i >= 2 * n && i < 3 * n ? scales[i - n]! : 1;
          return [dx!, ...dw.map((grad, i) => (kernelScale(i) === 1 ? grad : tf.mul(grad, kernelScale(i))))];
        },
      };
    });
    return op(x, ...variables);
  }

  /**
   * The backward pass of the block at y1 (an output half) and x2 = x2Of(G(y1)): G's VJP at y1, then F's at x2.
   * Returns the rebuilt input and the gradients in the op's input order (x, F's kernels, biases, G's).
   */
  private backward(
    y1: tf.Tensor2D,
    x2Of: (gOut: tf.Tensor2D) => tf.Tensor,
    dy: tf.Tensor,
    { kf, bf, kg, bg }: BranchWeights,
  ): { x: tf.Tensor; grads: tf.Tensor[] } {
    const [dy1, dy2] = this.split(dy);
    const gTrace = mlpTrace(y1, kg, bg, this.activation);
    const x2 = x2Of(gTrace.out) as tf.Tensor2D;
    const gv = mlpVjp(gTrace, dy2, kg, this.activation);
    const dy1Total = tf.add(dy1, gv.input) as tf.Tensor2D;
    const fTrace = mlpTrace(x2, kf, bf, this.activation);
    const fv = mlpVjp(fTrace, dy1Total, kf, this.activation);
    const x = tf.concat([tf.sub(y1, fTrace.out), x2], 1);
    const dx = tf.concat([dy1Total, tf.add(dy2, fv.input)], 1);
    return { x, grads: [dx, ...fv.kernels, ...fv.biases, ...gv.kernels, ...gv.biases] };
  }

  /** The rebuilt backward pass against the same pass at the stored input (y1 recomputed from it). */
  private compare(
    rebuilt: { x: tf.Tensor; grads: tf.Tensor[] },
    x: tf.Tensor,
    dy: tf.Tensor,
    w: BranchWeights,
  ): GradientCheck {
    const [x1, x2] = this.split(x);
    const y1 = tf.add(x1, mlpTrace(x2, w.kf, w.bf, this.activation).out) as tf.Tensor2D;
    const stored = this.backward(y1, () => x2, dy, w);
    const flat = (gs: readonly tf.Tensor[]): tf.Tensor => tf.concat(gs.map((t) => tf.reshape(t, [-1])));
    return {
      reconstruction: relativeError(rebuilt.x, x),
      input: relativeError(rebuilt.grads[0]!, stored.grads[0]!),
      weights: relativeError(flat(rebuilt.grads.slice(1)), flat(stored.grads.slice(1))),
    };
  }

  /** The comparison of the last backward pass, when `checkGradients` is set and a backward pass has run. */
  lastGradientCheck(): GradientCheck | undefined {
    return this.check;
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { f, g } = this.branches(y);
      const [y1, y2] = this.split(y);
      const x2 = tf.sub(y2, g.apply(y1));
      return tf.concat([tf.sub(y1, f.apply(x2)), x2], 1);
    });
  }

  /** Volume preserving: both half-steps have unit-triangular Jacobians. */
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.zeros([x.shape[0]!]);
  }

  /** sigma_max([[1, a], [b, 1 + ab]]) both ways, a and b from F's and G's certified kernel norms. */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.f === null || this.g === null) return { forward: Infinity, inverse: Infinity };
    return reversibleBlockFromWeights(this.f.lipschitz(), this.g.lipschitz());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      ...conditionerConfig(this),
      memorySaving: this.memorySaving,
      checkGradients: this.checkGradients,
    };
  }
}
tf.serialization.registerClass(ReversibleBlock, PACKAGE);
