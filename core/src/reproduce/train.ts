/**
 * Maximum-likelihood training of a flow under a standard normal base: minimise the mean over a batch of
 * -log N(F(x); 0, I) - log|det dF/dx|, with Adam on shuffled mini-batches, seeded.
 */
import * as tf from '@tensorflow/tfjs';
import { BiLipschitzRegularizer, type Flow } from '../layers';
import { Rng } from '../probes/rng';

export interface TrainOptions {
  steps: number;
  batch: number;
  learningRate: number;
  seed: number;
  /** Adds the finite-difference bi-Lipschitz penalty (Behrmann et al. 2021, Sec. 6) with this weight. */
  regularizerWeight?: number;
  /** Called every `every` steps and at the last, with the step's loss. */
  onLoss?: (step: number, nllPerDim: number) => void;
  every?: number;
  /** Called after every step with its loss (a training monitor's step()). */
  onStep?: (step: number, loss: number) => void;
  /** Checked between steps. */
  shouldStop?: () => boolean;
}

/** Mean negative log-likelihood per dimension, in nats, of the rows of x. */
export function nllPerDim(flow: Flow, x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const d = x.shape[1];
    const { y, logDet } = flow.forwardWithLogDet(x);
    const logBase = tf.sub(tf.mul(-0.5, tf.sum(tf.square(y), 1)), 0.5 * d * Math.log(2 * Math.PI));
    return tf.div(tf.neg(tf.mean(tf.add(logBase, logDet))), d) as tf.Scalar;
  });
}

/**
 * Trains in place; returns the per-step losses recorded (step, NLL per dimension; NaN once the loss broke). A step
 * whose loss is not finite stops the training: later steps would only carry the NaN into every weight.
 */
export function trainFlow(flow: Flow, data: tf.Tensor2D, o: TrainOptions): Array<[number, number]> {
  const [n, d] = data.shape;
  const rng = new Rng(o.seed);
  const optimizer = tf.train.adam(o.learningRate);
  const regularizer =
    o.regularizerWeight === undefined ? undefined : new BiLipschitzRegularizer({ seed: o.seed });
  // ActNorm and friends initialise from the first batch, as in Glow.
  const first = data.slice([0, 0], [Math.min(n, o.batch), d]);
  flow.initialize(first);
  first.dispose();
  const vars = flow.blocks.flatMap((b) => b.trainableWeights.map((w) => w.read() as tf.Variable));
  const losses: Array<[number, number]> = [];
  const every = o.every ?? 50;
  let order: Int32Array = new Int32Array(0);
  for (let step = 0; step < o.steps; step++) {
    if (o.shouldStop?.() === true) break;
    const offset = (step * o.batch) % n;
    if (offset < o.batch) order = shuffled(n, rng);
    const idx = tf.tensor1d(order.subarray(offset, Math.min(n, offset + o.batch)), 'int32');
    const batch = tf.gather(data, idx) as tf.Tensor2D;
    const loss = optimizer.minimize(
      () => {
        const nll = nllPerDim(flow, batch);
        if (regularizer === undefined) return nll;
        return tf.add(nll, tf.mul(regularizer.apply(flow, batch), o.regularizerWeight!)) as tf.Scalar;
      },
      true,
      vars,
    )!;
    const value = loss.dataSync()[0]!;
    tf.dispose([loss, idx, batch]);
    o.onStep?.(step, value);
    if (step % every === 0 || step === o.steps - 1 || !Number.isFinite(value)) {
      losses.push([step, value]);
      o.onLoss?.(step, value);
    }
    if (!Number.isFinite(value)) break;
  }
  optimizer.dispose();
  return losses;
}

function shuffled(n: number, rng: Rng): Int32Array {
  const out = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
