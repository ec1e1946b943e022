/**
 * Memory-saving backprop check: invertible networks can drop activations and rebuild them with the inverse
 * during the backward pass. Compares, block by block from the output down, gradients computed at the
 * reconstructed activations with those at the stored ones; an unstable inverse corrupts the former. Both the
 * gradient wrt each block's input (what flows further down) and wrt each block's trainable weights (what the
 * optimizer uses) are compared, the latter for blocks that expose `trainableWeights`.
 */
import { figure, finiteOrNull } from '../report/schema';
import { blockInputs, flat, maxOrNaN, relativeRowError } from './measure';
import { emptyOutput, type Probe } from './probe';
import {
  stopReason,
  type ProbeBlock,
  type ProbeContext,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
  yieldToEventLoop,
} from './target';

function vjp(ctx: ProbeContext, block: ProbeBlock, x: Tensor, cot: Tensor): Tensor {
  const { tf } = ctx;
  ctx.passes.backward++;
  return tf.tidy(() => tf.grad((xx: Tensor) => tf.sum(tf.mul(block.forward(xx), cot)))(x));
}

/**
 * The gradient of <block(x), cot> wrt the block's trainable weights, flattened and concatenated; undefined when
 * the block exposes no weights or none of them reaches its output.
 */
function weightVjp(ctx: ProbeContext, block: ProbeBlock, x: Tensor, cot: Tensor): Tensor1D | undefined {
  const { tf } = ctx;
  const vars = block.trainableWeights?.() ?? [];
  if (vars.length === 0) return undefined;
  ctx.passes.backward++;
  try {
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(block.forward(x), cot)), vars);
      value.dispose();
      const parts = vars.map((v) => {
        const g = grads[v.name];
        return g === undefined ? tf.zeros([v.size]) : tf.reshape(g, [-1]);
      });
      return tf.concat(parts) as Tensor1D;
    });
  } catch (e) {
    // tfjs throws this when no variable is connected to the result: the block has no weight gradient. Anything
    // else (a gradient kernel the backend lacks) must reach the caller, not read as "no weights".
    if (e instanceof Error && /Cannot find a connection between any variable/.test(e.message))
      return undefined;
    throw e;
  }
}

/** ||a - b|| / ||b|| over whole vectors (0 when both vanish), NaN when either is not finite. */
function vectorError(ctx: ProbeContext, a: Tensor1D, b: Tensor1D): number {
  const { tf } = ctx;
  const [diff, ref] = tf
    .tidy(() => [tf.norm(tf.sub(a, b)), tf.norm(b)])
    .map((t) => {
      const v = t.dataSync()[0]!;
      t.dispose();
      return v;
    }) as [number, number];
  if (!Number.isFinite(diff) || !Number.isFinite(ref)) return NaN;
  return diff === 0 ? 0 : diff / Math.max(ref, 1e-30);
}

function rowError(ctx: ProbeContext, a: Tensor, b: Tensor): number {
  const { tf } = ctx;
  const fa = flat(tf, a) as Tensor2D;
  const fb = flat(tf, b) as Tensor2D;
  const e = maxOrNaN(relativeRowError(tf, fa, fb));
  fa.dispose();
  fb.dispose();
  return e;
}

export const memoryBackprop: Probe = {
  id: 'memory-backprop',
  title: 'Memory-saving backprop',
  needsInverse: true,
  async run({ target, data, settings }, ctx) {
    const { tf, rng } = ctx;
    const out = emptyOutput();
    const blocks = target.blocks ?? [];
    if (blocks.length === 0 || blocks.some((b) => b.inverse === undefined))
      return { ...out, status: 'skipped', message: 'needs blocks that each have an inverse' };
    const stored = blockInputs(tf, target, data);
    const top = stored[stored.length - 1]!;
    // Rebuild every activation from the output alone, as a memory-saving backward pass would.
    const rebuilt: Tensor[] = new Array<Tensor>(stored.length);
    rebuilt[stored.length - 1] = tf.clone(top);
    for (let k = blocks.length - 1; k >= 0; k--) {
      const y = rebuilt[k + 1]!;
      rebuilt[k] = tf.tidy(() => blocks[k]!.inverse!(y));
      ctx.passes.inverse++;
    }
    let cotStored: Tensor = tf.tensor(rng.normals(top.size), top.shape);
    let cotRebuilt: Tensor = tf.clone(cotStored);
    const rows: Array<Array<string | number | null>> = [];
    let worst = 0;
    let worstWeight = 0;
    let weightBlocks = 0;
    for (let k = blocks.length - 1; k >= 0; k--) {
      if (stopReason(ctx) !== undefined) break;
      const gs = vjp(ctx, blocks[k]!, stored[k]!, cotStored);
      const gr = vjp(ctx, blocks[k]!, rebuilt[k]!, cotRebuilt);
      const actErr = rowError(ctx, rebuilt[k]!, stored[k]!);
      const gradErr = rowError(ctx, gr, gs);
      worst = Number.isNaN(gradErr) || Number.isNaN(worst) ? NaN : Math.max(worst, gradErr);
      // Weight gradients at the same block input and output cotangent a memory-saving backward pass would use.
      const ws = weightVjp(ctx, blocks[k]!, stored[k]!, cotStored);
      const wr = ws === undefined ? undefined : weightVjp(ctx, blocks[k]!, rebuilt[k]!, cotRebuilt);
      let weightErr: number | null = null;
      if (ws !== undefined && wr !== undefined) {
        const e = vectorError(ctx, wr, ws);
        weightErr = finiteOrNull(e);
        worstWeight = Number.isNaN(e) || Number.isNaN(worstWeight) ? NaN : Math.max(worstWeight, e);
        weightBlocks++;
      }
      tf.dispose([ws, wr].filter((t): t is Tensor1D => t !== undefined));
      rows.unshift([blocks[k]!.name, finiteOrNull(actErr), finiteOrNull(gradErr), weightErr]);
      cotStored.dispose();
      cotRebuilt.dispose();
      cotStored = gs;
      cotRebuilt = gr;
      ctx.progress((blocks.length - k) / blocks.length, blocks[k]!.name);
      await yieldToEventLoop();
    }
    for (const t of [...stored, ...rebuilt, cotStored, cotRebuilt]) t.dispose();
    out.figures.push(
      figure('gradient-error', 'Largest relative error of input gradients from rebuilt activations', worst),
      figure('tolerance', 'Tolerance on the relative gradient error', settings.gradientTolerance),
    );
    if (weightBlocks > 0)
      out.figures.push(
        figure(
          'weight-gradient-error',
          'Largest relative error of weight gradients from rebuilt activations',
          worstWeight,
        ),
      );
    out.tables.push({
      id: 'blocks',
      title:
        'Per block (gradients wrt the block input and, for blocks with trainable weights, wrt the weights, ' +
        'backpropagated from a random output cotangent)',
      columns: ['block', 'activation_error', 'gradient_error', 'weight_gradient_error'],
      rows,
    });
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
