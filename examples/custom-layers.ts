// Two custom invertible layers: a leaky scaling that defines its inverse, and one that forgets it. lipschitz-lens's
// Flow takes only layers that implement Invertible, so the model is a tf.sequential marked @invertible.
import * as tf from '@tensorflow/tfjs';
import { AdditiveCoupling, type Invertible } from 'lipschitz-lens';

const slope = 0.5;

/** @invertible */
export class LeakyScale extends tf.layers.Layer implements Invertible {
  static className = 'LeakyScale';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.where(tf.greaterEqual(x, 0), x, tf.mul(x, slope));
  }
  inverse(y: tf.Tensor): tf.Tensor {
    return tf.where(tf.greaterEqual(y, 0), y, tf.mul(y, 1 / slope));
  }
  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    // log(slope) for each entry on the scaled side, summed over every axis but the batch.
    const axes = x.shape.slice(1).map((_, i) => i + 1);
    return tf.tidy(
      () => tf.mul(tf.sum(tf.cast(tf.less(x, 0), 'float32'), axes), Math.log(slope)) as tf.Tensor1D,
    );
  }
  lipschitzBounds(): { forward: number; inverse: number } {
    return { forward: 1, inverse: 1 / slope };
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

/** @invertible */
export const customFlow = tf.sequential({
  layers: [new LeakyScale({ inputShape: [8] }), new AdditiveCoupling({ hiddenUnits: 32 }), new ShiftOnly({})],
});
