import { rule } from '../../src/rules/residual-coefficient-too-large';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const LENS = "import { Flow, InvertibleResidual, spectralNorm } from 'lipschitz-lens';";

function residual(c: number, name = 'iresnet'): string {
  return [
    TF,
    LENS,
    'const x = tf.input({ shape: [8] });',
    `const h = tf.layers.dense({ units: 8, kernelConstraint: spectralNorm({ c: ${c} }) }).apply(x) as tf.SymbolicTensor;`,
    `export const ${name} = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });`,
  ].join('\n');
}

ruleTester(rule, {
  valid: [
    { code: residual(0.9) },
    { name: 'a skip connection in a model not meant to be inverted', code: residual(1, 'resnet') },
    {
      code: [
        TF,
        LENS,
        'export const f = new Flow({ layers: [new InvertibleResidual({ hiddenUnits: [8], coeff: 0.9 })] });',
      ].join('\n'),
    },
    {
      name: 'c = 1 outside residual branches is not this rule',
      code: [
        TF,
        LENS,
        'export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, kernelConstraint: spectralNorm({ c: 1 }) })] });',
      ].join('\n'),
    },
    { name: 'threshold option', code: residual(0.97), setting: ['warning', { threshold: 0.98 }] },
  ],
  invalid: [
    {
      name: 'c >= 1 in a residual branch: error, lowered to 0.9',
      code: residual(1.0),
      errors: [{ messageId: 'notContractive', line: 4, column: 57, severity: 'error' }],
      output: residual(0.9),
    },
    {
      name: 'c close to 1: warning',
      code: residual(0.99),
      errors: [{ messageId: 'nearOne', line: 4, column: 57, severity: 'warning' }],
    },
    {
      // gelu (1.129) makes the branch 0.97 * 1.129 * 0.97 > 1: 1/(1 - L) would be a negative "bound".
      name: 'c close to 1 in a branch whose bound is >= 1: no inverse bound claimed',
      code: [
        TF,
        LENS,
        'const x = tf.input({ shape: [8] });',
        "const h1 = tf.layers.dense({ units: 8, activation: 'gelu', kernelConstraint: spectralNorm({ c: 0.97 }) }).apply(x) as tf.SymbolicTensor;",
        'const h2 = tf.layers.dense({ units: 8, kernelConstraint: spectralNorm({ c: 0.97 }) }).apply(h1) as tf.SymbolicTensor;',
        'export const iresnet = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h2]) as tf.SymbolicTensor });',
      ].join('\n'),
      errors: [
        { messageId: 'branchNotContractive', line: 4, column: 78, severity: 'warning' },
        { messageId: 'branchNotContractive', line: 5, column: 58, severity: 'warning' },
      ],
    },
    {
      name: 'InvertibleResidual coeff',
      code: [
        TF,
        LENS,
        'export const f = new Flow({ layers: [new InvertibleResidual({ hiddenUnits: [8], coeff: 1.2 })] });',
      ].join('\n'),
      errors: [{ messageId: 'notContractive', line: 3, column: 38 }],
      output: [
        TF,
        LENS,
        'export const f = new Flow({ layers: [new InvertibleResidual({ hiddenUnits: [8], coeff: 0.9 })] });',
      ].join('\n'),
    },
  ],
});
