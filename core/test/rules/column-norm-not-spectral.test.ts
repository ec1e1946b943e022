import { rule } from '../../src/rules/column-norm-not-spectral';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";

ruleTester(rule, {
  valid: [
    {
      code: [
        TF,
        "import { spectralNorm } from 'lipschitz-lens';",
        'export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, kernelConstraint: spectralNorm({ c: 1 }) })] });',
      ].join('\n'),
    },
    { code: [TF, 'export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4 })] });'].join('\n') },
  ],
  invalid: [
    {
      name: 'maxNorm in a critic: warning with the Frobenius bound, replaced by spectralNorm',
      code: [
        TF,
        '/** @lipschitz */',
        'export const critic = tf.sequential({ layers: [tf.layers.dense({ units: 16, kernelConstraint: tf.constraints.maxNorm({ maxValue: 2 }) })] });',
      ].join('\n'),
      errors: [{ messageId: 'columnNormWithBound', line: 3, column: 95, severity: 'warning' }],
      output: [
        TF,
        "import { spectralNorm } from 'lipschitz-lens';",
        '/** @lipschitz */',
        'export const critic = tf.sequential({ layers: [tf.layers.dense({ units: 16, kernelConstraint: spectralNorm({ coeff: 0.9 }) })] });',
      ].join('\n'),
    },
    {
      name: 'unitNorm on a conv elsewhere: hint without a number',
      code: [
        TF,
        'export const m = tf.sequential({ layers: [tf.layers.conv2d({ filters: 8, kernelSize: 3, kernelConstraint: tf.constraints.unitNorm() })] });',
      ].join('\n'),
      errors: [{ messageId: 'columnNorm', line: 2, column: 107, severity: 'hint' }],
    },
    {
      name: 'a string identifier is reported at the layer, without a fix',
      code: [
        TF,
        "export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, kernelConstraint: 'maxNorm' })] });",
      ].join('\n'),
      errors: [{ messageId: 'columnNormWithBound', line: 2, column: 43 }],
      output: null,
    },
  ],
});
