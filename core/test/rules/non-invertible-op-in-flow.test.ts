import { rule } from '../../src/rules/non-invertible-op-in-flow';
import { ruleTester } from './rule-tester';

const TF = "import * as tf from '@tensorflow/tfjs';";
const FLOW = "import { Flow, AffineCoupling } from 'lipschitz-lens';";

function flow(...layers: string[]): string {
  return [
    TF,
    FLOW,
    'export const f = new Flow({',
    '  layers: [',
    ...layers.map((l) => `    ${l},`),
    '  ],',
    '});',
  ].join('\n');
}

ruleTester(rule, {
  valid: [
    { code: flow("new AffineCoupling({ scale: 'bounded-tanh' })") },
    {
      name: 'relu outside invertible models',
      code: [
        TF,
        "export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'relu' })] });",
      ].join('\n'),
    },
    {
      name: 'a square dense keeps the dimension',
      code: flow("tf.layers.dense({ units: 4, inputShape: [4], activation: 'tanh' })"),
    },
    {
      name: 'relu inside a residual branch is fine',
      code: [
        TF,
        '/** @invertible */',
        'export function make() {',
        '  const x = tf.input({ shape: [8] });',
        "  const h = tf.layers.dense({ units: 8, activation: 'relu' }).apply(x) as tf.SymbolicTensor;",
        '  return tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });',
        '}',
      ].join('\n'),
    },
  ],
  invalid: [
    {
      code: flow(
        "tf.layers.activation({ activation: 'relu' })",
        'tf.layers.dropout({ rate: 0.1 })',
        'tf.layers.maxPooling2d({ poolSize: 2 })',
      ),
      errors: [
        { messageId: 'notInjective', line: 5, column: 5 },
        { messageId: 'dropout', line: 6, column: 5 },
        { messageId: 'pooling', line: 7, column: 5 },
      ],
    },
    {
      name: 'dense with relu that also changes the dimension',
      code: flow("tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu' })"),
      errors: [
        { messageId: 'notInjective', line: 5, column: 5 },
        { messageId: 'dimensionChange', line: 5, column: 5 },
      ],
    },
  ],
});
