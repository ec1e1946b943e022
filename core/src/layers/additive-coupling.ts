import * as tf from '@tensorflow/tfjs';
import { type CouplingArgs, CouplingBase } from './coupling-net';
import { PACKAGE } from './invertible';
import { type Kwargs, single } from './layer-util';
import { additiveCouplingFromWeights } from '../specs/additive-coupling';

/**
 * Arguments of {@link AdditiveCoupling}: the conditioner settings of {@link CouplingArgs}
 * (`hiddenUnits` for rank-2 inputs, `hiddenChannels` for rank-4 NHWC inputs, `activation`, `zeroInit`).
 */
export type AdditiveCouplingArgs = CouplingArgs;

/**
 * NICE additive coupling: with x = [x1 | x2] split on the last axis, y1 = x1 and y2 = x2 + t(x1).
 * Volume preserving (log-det 0) and globally bi-Lipschitz with constant 1 + Lip(t) both ways, since
 * dy/dx = [[I, 0], [dt, I]] and its inverse is [[I, 0], [-dt, I]].
 */
export class AdditiveCoupling extends CouplingBase {
  static className = 'AdditiveCoupling';
  protected readonly paramsPerChannel = 1;

  constructor(args: AdditiveCouplingArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [x1, x2] = this.split(x);
      return tf.concat([x1, tf.add(x2, this.conditioner(x).apply(x1))], -1);
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = this.split(y);
      return tf.concat([y1, tf.sub(y2, this.conditioner(y).apply(y1))], -1);
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.zeros([x.shape[0]!]);
  }

  /** 1 + Lip(t) in both directions (global, from the current kernels). */
  lipschitzBounds(): { forward: number; inverse: number } {
    if (this.net === null) return { forward: Infinity, inverse: Infinity };
    return additiveCouplingFromWeights(this.net.lipschitz());
  }
}
tf.serialization.registerClass(AdditiveCoupling, PACKAGE);
