// Two custom invertible layers: a leaky scaling that defines its inverse, and one that forgets it.
import * as tf from '@tensorflow/tfjs';
import { AdditiveCoupling, Flow } from 'lipschitz-lens';

/** @invertible */
export class LeakyScale extends tf.layers.Layer {
  static className = 'LeakyScale';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.where(tf.greater(x, 0), x, tf.mul(x, 0.5));
  }
  inverse(y: tf.Tensor): tf.Tensor {
    return tf.where(tf.greater(y, 0), y, tf.mul(y, 2));
  }
}

/** @invertible */
export class ShiftOnly // expect: custom-layer-missing-inverse
  extends tf.layers.Layer
{
  static className = 'ShiftOnly';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.add(x, 1);
  }
}

/** @inputShape [8] */
export const customFlow = new Flow([
  new LeakyScale({}),
  new AdditiveCoupling({ hiddenUnits: 32 }),
  new ShiftOnly({}),
]);
