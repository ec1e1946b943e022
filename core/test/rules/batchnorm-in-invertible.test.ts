import { rule } from '../../src/rules/batchnorm-in-invertible';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const LENS = "import { ActNorm, AffineCoupling, Flow } from 'lipschitz-lens';";

ruleTester(rule, {
  valid: [
    {
      name: 'not invertible',
      code: [
        TF,
        'export const m = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [4] })] });',
      ].join('\n'),
    },
    {
      code: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'bounded-tanh' })] });",
      ].join('\n'),
    },
  ],
  invalid: [
    {
      name: 'batch norm in a flow: error, replaced by ActNorm',
      code: [
        TF,
        "import { Flow } from 'lipschitz-lens';",
        'export const f = new Flow({ layers: [tf.layers.batchNormalization({})] });',
      ].join('\n'),
      errors: [{ messageId: 'batchNorm', line: 3, column: 38, severity: 'error' }],
      output: [
        TF,
        "import { ActNorm, Flow } from 'lipschitz-lens';",
        'export const f = new Flow({ layers: [new ActNorm({})] });',
      ].join('\n'),
    },
    {
      name: 'layer norm in a flow has no automatic fix',
      code: [
        TF,
        "import { Flow } from 'lipschitz-lens';",
        'export const f = new Flow({ layers: [tf.layers.layerNormalization({})] });',
      ].join('\n'),
      errors: [{ messageId: 'batchNorm', line: 3, column: 38 }],
      output: null,
    },
    {
      name: 'ActNorm without a bound: hint',
      code: [TF, LENS, 'export const f = new Flow({ layers: [new ActNorm()] });'].join('\n'),
      errors: [{ messageId: 'unboundedScale', line: 3, column: 38, severity: 'hint' }],
    },
  ],
});
