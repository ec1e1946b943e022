import { rule } from '../../src/rules/unbounded-inverse-gain';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const LENS =
  "import { ActNorm, AffineCoupling, Flow, InvertibleLinear, InvertibleConv1x1 } from 'lipschitz-lens';";

ruleTester(rule, {
  valid: [
    {
      name: 'ActNorm with a numeric scaleBound',
      code: [TF, LENS, 'export const f = new Flow({ layers: [new ActNorm({ scaleBound: 10 })] });'].join(
        '\n',
      ),
    },
    {
      name: "ActNorm with a scaleBound and scaleParam 'log'",
      code: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new ActNorm({ scaleParam: 'log', scaleBound: 1.5 })] });",
      ].join('\n'),
    },
    {
      name: 'batch norm is batchnorm-in-invertible, not this rule',
      code: [TF, LENS, 'export const f = new Flow({ layers: [tf.layers.batchNormalization({})] });'].join(
        '\n',
      ),
    },
  ],
  invalid: [
    {
      name: 'ActNorm without a bound: hint',
      code: [TF, LENS, 'export const f = new Flow({ layers: [new ActNorm()] });'].join('\n'),
      errors: [{ messageId: 'unboundedScale', line: 3, column: 38, severity: 'hint' }],
    },
    {
      name: 'ActNorm({}) without a bound: hint',
      code: [TF, LENS, 'export const f = new Flow({ layers: [new ActNorm({})] });'].join('\n'),
      errors: [{ messageId: 'unboundedScale', line: 3, column: 38, severity: 'hint' }],
    },
    {
      name: 'ActNorm whose scaleBound is unknown: hint (the value is never guessed)',
      code: [
        TF,
        LENS,
        'declare const m: number;',
        'export const f = new Flow({ layers: [new ActNorm({ scaleBound: m })] });',
      ].join('\n'),
      errors: [{ messageId: 'unboundedScale', line: 4, column: 38, severity: 'hint' }],
    },
    {
      name: 'ActNorm with an invalid scaleBound (M <= 1, or scaleParam direct): hint',
      code: [
        TF,
        LENS,
        'export const f = new Flow({ layers: [new ActNorm({ scaleBound: 1 })] });',
        "export const g = new Flow({ layers: [new ActNorm({ scaleParam: 'direct', scaleBound: 10 })] });",
      ].join('\n'),
      errors: [
        { messageId: 'unboundedScale', line: 3, column: 38, severity: 'hint' },
        { messageId: 'unboundedScale', line: 4, column: 38, severity: 'hint' },
      ],
    },
    {
      name: 'InvertibleLinear: hint whatever its config (the LU diagonal does not bound sigma_min)',
      code: [
        TF,
        LENS,
        'export const f = new Flow({ layers: [new InvertibleLinear({ seed: 1 }), new InvertibleConv1x1({})] });',
      ].join('\n'),
      errors: [
        { messageId: 'unboundedLinear', line: 3, column: 38, severity: 'hint' },
        { messageId: 'unboundedLinear', line: 3, column: 73, severity: 'hint' },
      ],
    },
  ],
});
