/** What several benchmarks share: the worst-case generated model file and quantiles of timings. */

/** A large generated model file: `blocks` helper-built residual blocks, two lines each. */
export function residualBlocksModel(blocks: number): string {
  const lines = [
    "import * as tf from '@tensorflow/tfjs';",
    'const input = tf.input({ shape: [32] });',
    'let h = input;',
  ];
  for (let i = 0; i < blocks; i++) {
    lines.push(
      `const d${i} = tf.layers.dense({ units: 32, activation: 'relu' }).apply(h) as tf.SymbolicTensor;`,
      `h = tf.layers.add().apply([h, d${i}]) as tf.SymbolicTensor;`,
    );
  }
  lines.push('export const big = tf.model({ inputs: input, outputs: h });');
  return lines.join('\n');
}

/** The q-quantile of ascending `sorted` (NaN when empty). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
