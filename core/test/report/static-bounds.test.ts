/**
 * The report's block rows are named as the code names the blocks (a layer's `name` config, a merge's declared
 * variable), with the kind as a word of its own; a generated block_<n> only where the code gives no name of
 * its own, and never twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBounds } from '../../src/bounds';
import { extractSource } from '../../src/extract';
import { staticBlockBounds } from '../../src/report/static-bounds';

function rows(text: string): [string, string | undefined][] {
  const ir = extractSource(text, '/w/model.ts');
  const model = ir.models[0]!;
  return staticBlockBounds(model, computeBounds(ir)).map((b) => [b.label, b.kind]);
}

const IRESNET = `import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';
const dense = () => tf.layers.dense({ units: 8, kernelConstraint: spectralNorm({ coeff: 0.9 }) });
function branch(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const h = dense().apply(x) as tf.SymbolicTensor;
  const y = tf.layers.add().apply([x, h]) as tf.SymbolicTensor;
  return y;
}
/** @invertible */
export function buildIResNet(): tf.LayersModel {
  const input = tf.input({ shape: [8] });
  const h0 = dense().apply(input) as tf.SymbolicTensor;
  const b0 = tf.layers.add({ name: 'block0_in' }).apply([input, h0]) as tf.SymbolicTensor;
  const h1 = dense().apply(b0) as tf.SymbolicTensor;
  const block1 = tf.add(b0, h1) as tf.SymbolicTensor;
  let x = branch(block1);
  x = branch(x);
  x = tf.add(x, dense().apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}
`;

describe('static block names', () => {
  it('a residual block takes its merge layer’s name, else the variable its merge is declared as', () => {
    assert.deepEqual(rows(IRESNET), [
      // name: 'block0_in' wins over the variable b0.
      ['block0_in', 'residual'],
      ['block1', 'residual'],
      // The helper declares y on both calls: it names neither block.
      ['block_3', 'residual'],
      ['block_4', 'residual'],
      // An assignment (x = ...) names a running value, not the block.
      ['block_5', 'residual'],
    ]);
  });

  it('layers take their name config; a generated name steps aside for a name the code uses', () => {
    const text = `import * as tf from '@tensorflow/tfjs';
export const mlp = tf.sequential({
  layers: [
    tf.layers.dense({ units: 8, inputShape: [4], name: 'block_2' }),
    tf.layers.dense({ units: 8 }),
    tf.layers.dense({ units: 2, name: 'logits' }),
  ],
});
`;
    assert.deepEqual(rows(text), [
      ['block_2', 'dense'],
      ['block_2_', 'dense'],
      ['logits', 'dense'],
    ]);
  });
});
