import { rule } from '../../src/rules/unbounded-coupling-scale';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const LENS = "import { AffineCoupling, Flow } from 'lipschitz-lens';";

function customCoupling(scale: string): string {
  return [
    TF,
    'export class Coupling extends tf.layers.Layer {',
    '  net = tf.layers.dense({ units: 2 });',
    '  call(x: tf.Tensor): tf.Tensor {',
    '    const [x1, x2] = tf.split(x, 2, -1);',
    `    const s = ${scale};`,
    '    return tf.concat([x1, tf.mul(x2, s)], -1);',
    '  }',
    '  inverse(y: tf.Tensor): tf.Tensor {',
    '    return y;',
    '  }',
    '}',
  ].join('\n');
}

ruleTester(rule, {
  valid: [
    {
      code: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'bounded-tanh' })] });",
      ].join('\n'),
    },
    {
      name: 'the default scale is bounded',
      code: [TF, LENS, 'export const f = new Flow({ layers: [new AffineCoupling({})] });'].join('\n'),
    },
  ],
  invalid: [
    {
      name: "AffineCoupling scale: 'exp' -> 'bounded-tanh'",
      code: [TF, LENS, "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'exp' })] });"].join(
        '\n',
      ),
      errors: [{ messageId: 'expScale', line: 3, column: 38 }],
      output: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'bounded-tanh' })] });",
      ].join('\n'),
    },
    {
      code: [
        TF,
        LENS,
        "export const f = new Flow({ layers: [new AffineCoupling({ scale: 'sigmoid' })] });",
      ].join('\n'),
      errors: [{ messageId: 'scaleReachesZero', line: 3, column: 38 }],
    },
    {
      name: 'hand-written coupling: reported at the exp op, replaced by a bounded form',
      code: customCoupling('tf.exp(this.net.apply(x1) as tf.Tensor)'),
      errors: [{ messageId: 'expScale', line: 6, column: 15 }],
      output: customCoupling('tf.exp(tf.mul(Math.log(2), tf.tanh(this.net.apply(x1) as tf.Tensor)))'),
    },
  ],
});
