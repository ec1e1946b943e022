/**
 * Memory-saving backprop check: invertible networks can drop activations and rebuild them with the inverse
 * during the backward pass. Compares, block by block from the output down, gradients computed at the
 * reconstructed activations with those at the stored ones; an unstable inverse corrupts the former.
 */
import { figure, finiteOrNull } from '../report/schema';
import { blockInputs, flat, maxOrNaN, relativeRowError } from './measure';
import { emptyOutput, type Probe } from './probe';
import { stopReason, type ProbeBlock, type ProbeContext, type Tensor, type Tensor2D } from './target';

function vjp(ctx: ProbeContext, block: ProbeBlock, x: Tensor, cot: Tensor): Tensor {
  const { tf } = ctx;
  ctx.passes.backward++;
  return tf.tidy(() => tf.grad((xx: Tensor) => tf.sum(tf.mul(block.forward(xx), cot)))(x));
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
  async run({ target, data }, ctx) {
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
    for (let k = blocks.length - 1; k >= 0; k--) {
      if (stopReason(ctx) !== undefined) break;
      const gs = vjp(ctx, blocks[k]!, stored[k]!, cotStored);
      const gr = vjp(ctx, blocks[k]!, rebuilt[k]!, cotRebuilt);
      const actErr = rowError(ctx, rebuilt[k]!, stored[k]!);
      const gradErr = rowError(ctx, gr, gs);
      worst = Number.isNaN(gradErr) || Number.isNaN(worst) ? NaN : Math.max(worst, gradErr);
      rows.unshift([blocks[k]!.name, finiteOrNull(actErr), finiteOrNull(gradErr)]);
      cotStored.dispose();
      cotRebuilt.dispose();
      cotStored = gs;
      cotRebuilt = gr;
      ctx.progress((blocks.length - k) / blocks.length, blocks[k]!.name);
      await new Promise((r) => setImmediate(r));
    }
    for (const t of [...stored, ...rebuilt, cotStored, cotRebuilt]) t.dispose();
    out.figures.push(
      figure('gradient-error', 'Largest relative error of input gradients from rebuilt activations', worst),
    );
    out.tables.push({
      id: 'blocks',
      title: 'Per block (gradient wrt the block input, backpropagated from a random output cotangent)',
      columns: ['block', 'activation_error', 'gradient_error'],
      rows,
    });
    const stop = stopReason(ctx);
    if (stop !== undefined) out.status = stop;
    return out;
  },
};
