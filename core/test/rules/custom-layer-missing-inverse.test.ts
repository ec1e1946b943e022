import { rule } from '../../src/rules/custom-layer-missing-inverse';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";

function layer(name: string, body: string[], jsdoc = ''): string[] {
  return [
    ...(jsdoc ? [jsdoc] : []),
    `class ${name} extends tf.layers.Layer {`,
    '  call(x: tf.Tensor): tf.Tensor {',
    '    return tf.mul(x, 2);',
    '  }',
    ...body,
    '}',
  ];
}

const INVERSE = ['  inverse(y: tf.Tensor): tf.Tensor {', '    return tf.div(y, 2);', '  }'];

ruleTester(rule, {
  valid: [
    {
      code: [
        TF,
        "import { Flow } from 'lipschitz-lens';",
        ...layer('Double', INVERSE),
        'export const f = new Flow({ layers: [new Double()] });',
      ].join('\n'),
    },
    {
      name: 'used in a plain model',
      code: [TF, ...layer('Double', []), 'export const m = tf.sequential({ layers: [new Double()] });'].join(
        '\n',
      ),
    },
  ],
  invalid: [
    {
      name: 'used in a flow',
      code: [
        TF,
        "import { Flow } from 'lipschitz-lens';",
        ...layer('Double', []),
        'export const f = new Flow({ layers: [new Double()] });',
      ].join('\n'),
      errors: [{ messageId: 'usedInInvertible', line: 3, column: 7 }],
    },
    {
      name: 'declares itself invertible',
      code: [TF, ...layer('Double', [], '/** @invertible */')].join('\n'),
      errors: [{ messageId: 'claimsInvertible', line: 3, column: 7 }],
    },
  ],
});
