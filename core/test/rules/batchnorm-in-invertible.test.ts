import { rule } from '../../src/rules/batchnorm-in-invertible';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const LENS = "import { ActNorm, AffineCoupling, Flow, InvertibleLinear } from 'lipschitz-lens';";

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
      name: 'inside wiring the extractor does not recognise, whether the layer is inverted is unknown',
      code: [
        TF,
        'const x = tf.input({ shape: [4] });',
        'const n = tf.layers.batchNormalization({}).apply(x) as tf.SymbolicTensor;',
        'const s = tf.layers.dense({ units: 1 }).apply(x) as tf.SymbolicTensor;',
        '/** @invertible */',
        'export const f = tf.model({ inputs: x, outputs: [n, s] });',
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
        'export const f = new Flow({ layers: [new ActNorm({ scaleBound: 10 })] });',
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
      name: 'ActNorm and InvertibleLinear are unbounded-inverse-gain, a rule of its own',
      code: [
        TF,
        LENS,
        'export const f = new Flow({ layers: [new ActNorm(), new InvertibleLinear({})] });',
      ].join('\n'),
      errors: [],
    },
  ],
});
