import { rule } from '../../src/rules/non-lipschitz-activation';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";

function critic(activation: string): string {
  return [
    TF,
    '/** @lipschitz */',
    'export function makeNet() {',
    `  return tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [4], activation: '${activation}' })] });`,
    '}',
  ].join('\n');
}

ruleTester(rule, {
  valid: [
    { code: critic('tanh') },
    { code: critic('softplus') },
    {
      name: 'the same residual layer in an ordinary model: no bound required',
      code: [
        TF,
        'export class Res extends tf.layers.Layer {',
        '  call(x: tf.Tensor): tf.Tensor {',
        '    return tf.add(x, tf.square(tf.exp(x)));',
        '  }',
        '}',
      ].join('\n'),
    },
    {
      name: 'no bound required',
      code: [
        TF,
        "export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'exponential' })] });",
      ].join('\n'),
    },
  ],
  invalid: [
    {
      code: critic('exponential'),
      errors: [{ messageId: 'notLipschitz', line: 4, column: 35, severity: 'error' }],
    },
    {
      code: critic('selu'),
      errors: [{ messageId: 'largeConstant', line: 4, column: 35, severity: 'warning' }],
    },
    {
      name: 'log on the data of a flow (logit preprocessing): information, its slope is unbounded only near 0',
      code: [
        TF,
        "import { Flow, AdditiveCoupling } from 'lipschitz-lens';",
        '/** @invertible */ export class Logit extends tf.layers.Layer {',
        '  call(x: tf.Tensor): tf.Tensor {',
        '    return tf.sub(tf.log(x), tf.log1p(tf.neg(x)));',
        '  }',
        '  inverse(y: tf.Tensor): tf.Tensor { return tf.sigmoid(y); }',
        '}',
        'export const flow = new Flow({ layers: [new Logit(), new AdditiveCoupling({})] });',
      ].join('\n'),
      errors: [{ messageId: 'singularAtZero', line: 5, column: 19, severity: 'info' }],
    },
    {
      name: 'exp and square ops in an invertible residual custom layer',
      code: [
        TF,
        '/** @invertible */ export class Res extends tf.layers.Layer {',
        '  call(x: tf.Tensor): tf.Tensor {',
        '    return tf.add(x, tf.square(tf.exp(x)));',
        '  }',
        '}',
      ].join('\n'),
      errors: [
        { messageId: 'notLipschitz', line: 4, column: 22 },
        { messageId: 'notLipschitz', line: 4, column: 32 },
      ],
    },
  ],
});
