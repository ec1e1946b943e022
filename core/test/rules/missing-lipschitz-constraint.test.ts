import { rule } from '../../src/rules/missing-lipschitz-constraint';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const LENS = "import { Flow, SpectralDense, spectralNorm } from 'lipschitz-lens';";

ruleTester(rule, {
  valid: [
    {
      code: [
        TF,
        LENS,
        'export const m = tf.sequential();',
        'm.add(tf.layers.dense({ units: 4, inputShape: [4], kernelConstraint: spectralNorm({ c: 0.9 }) }));',
      ].join('\n'),
    },
    {
      code: [
        TF,
        LENS,
        'export const f = new Flow({ layers: [new SpectralDense({ units: 4, coeff: 0.9 })] });',
      ].join('\n'),
    },
    {
      name: 'a spread config may hold the constraint',
      code: [
        TF,
        'declare const base: object;',
        'export const m = tf.sequential({ layers: [tf.layers.dense({ ...base, units: 4 })] });',
      ].join('\n'),
    },
    {
      name: 'unweighted layers',
      code: [
        TF,
        'export const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2] })] });',
      ].join('\n'),
    },
  ],
  invalid: [
    {
      name: 'plain classifier: info, with a fix that adds the constraint and its import',
      code: [
        TF,
        'export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [4] })] });',
      ].join('\n'),
      errors: [{ messageId: 'unconstrained', line: 2, column: 43, severity: 'info' }],
      output: [
        TF,
        "import { spectralNorm } from 'lipschitz-lens';",
        'export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [4], kernelConstraint: spectralNorm({ coeff: 0.9 }) })] });',
      ].join('\n'),
    },
    {
      name: 'Wasserstein critic with a gradient penalty: warning',
      code: [
        TF,
        'export const critic = tf.sequential();',
        'critic.add(tf.layers.dense({ units: 1, inputShape: [4] }));',
        'export function gradientPenalty(x: tf.Tensor) {',
        '  const g = tf.grad((v: tf.Tensor) => critic.apply(v) as tf.Tensor)(x);',
        '  return tf.square(tf.norm(g).sub(1));',
        '}',
      ].join('\n'),
      errors: [{ messageId: 'inLipschitzModel', line: 3, column: 12, severity: 'warning' }],
    },
    {
      name: 'a critic by name only, with no Lipschitz objective in sight: info',
      code: [
        TF,
        'export const critic = tf.sequential();',
        'critic.add(tf.layers.dense({ units: 1, inputShape: [4] }));',
        "critic.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });",
      ].join('\n'),
      errors: [{ messageId: 'unconstrained', line: 3, column: 12, severity: 'info' }],
    },
    {
      name: 'the skip connection of a ResNet classifier is not an invertibility problem: info',
      code: [
        TF,
        'const x = tf.input({ shape: [8] });',
        'const h = tf.layers.dense({ units: 8 }).apply(x) as tf.SymbolicTensor;',
        'const y = tf.layers.add().apply([x, h]) as tf.SymbolicTensor;',
        "export const resnet = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 3, activation: 'softmax' }).apply(y) as tf.SymbolicTensor });",
      ].join('\n'),
      errors: [
        { messageId: 'unconstrained', line: 3, column: 11, severity: 'info' },
        { messageId: 'unconstrained', line: 5, column: 54, severity: 'info' },
      ],
    },
    {
      name: 'conditioner layers of a coupling are never inverted: info',
      code: [
        TF,
        "import { Flow } from 'lipschitz-lens';",
        'class Coupling extends tf.layers.Layer {',
        '  t = tf.layers.dense({ units: 2 });',
        '  call(x: tf.Tensor) {',
        '    const [x1, x2] = tf.split(x, 2, -1);',
        '    return tf.concat([x1, tf.add(x2, this.t.apply(x1) as tf.Tensor)], -1);',
        '  }',
        '  inverse(y: tf.Tensor) { return y; }',
        '}',
        'export const flow = new Flow({ layers: [new Coupling()] });',
      ].join('\n'),
      errors: [{ messageId: 'inConditioner', line: 4, column: 7, severity: 'info' }],
    },
    {
      name: 'residual branch of an i-ResNet (named so): error; multi-line config keeps its layout',
      code: [
        TF,
        "import { Flow } from 'lipschitz-lens';",
        'const x = tf.input({ shape: [8] });',
        'const h = tf.layers',
        '  .dense({',
        '    units: 8,',
        '  })',
        '  .apply(x) as tf.SymbolicTensor;',
        'export const iresnet = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });',
      ].join('\n'),
      errors: [{ messageId: 'inResidualBranch', line: 4, column: 11, severity: 'error' }],
      output: [
        TF,
        "import { spectralNorm, Flow } from 'lipschitz-lens';",
        'const x = tf.input({ shape: [8] });',
        'const h = tf.layers',
        '  .dense({',
        '    units: 8,',
        '    kernelConstraint: spectralNorm({ coeff: 0.9 }),',
        '  })',
        '  .apply(x) as tf.SymbolicTensor;',
        'export const iresnet = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });',
      ].join('\n'),
    },
    {
      name: 'invertible model: error',
      code: [TF, LENS, 'export const f = new Flow({ layers: [tf.layers.dense({ units: 4 })] });'].join('\n'),
      errors: [{ messageId: 'inInvertible', line: 3, column: 38, severity: 'error' }],
    },
    {
      name: 'nonNeg bounds nothing; a configured severity overrides the graded one',
      code: [
        TF,
        "export const m = tf.sequential({ layers: [tf.layers.conv2d({ filters: 4, kernelSize: 3, kernelConstraint: 'nonNeg' })] });",
      ].join('\n'),
      setting: 'warning',
      errors: [{ messageId: 'unconstrained', line: 2, column: 43, severity: 'warning' }],
    },
  ],
});
