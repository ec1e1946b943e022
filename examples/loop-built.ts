// A discriminator built in a loop: every block is unrolled (constant bound) and read with its own units.
import * as tf from '@tensorflow/tfjs';
import { SpectralDense } from 'lipschitz-lens';

const widths = [512, 256, 128];

function block(units: number): tf.layers.Layer[] {
  return [new SpectralDense({ units, coeff: 1 }), tf.layers.activation({ activation: 'selu' })]; // expect: non-lipschitz-activation
}

const layers: tf.layers.Layer[] = [tf.layers.inputLayer({ inputShape: [784] })];
for (let i = 0; i < widths.length; i++) layers.push(...block(widths[i]!));
layers.push(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint

export const discriminator = tf.sequential({ layers });
