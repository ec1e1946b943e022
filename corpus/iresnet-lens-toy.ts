// A residual flow for the 2-D toy densities (checkerboard, 8 gaussians) written with Lipschitz Lens' own layers.
// The coefficients follow residual-flows' command-line defaults that were tried: 0.9 for most blocks, 0.99 for the
// last one (inverse bound 100, about 1375 fixed-point iterations for 1e-6) and a first attempt at 1.0.
import * as tf from '@tensorflow/tfjs';
import { ActNorm, Flow, InvertibleResidual } from 'lipschitz-lens';

const hiddenUnits = [128, 128, 128];

function toyFlow(variant: 'default' | 'sharp' | 'unit'): Flow {
  const blocks = [];
  for (let i = 0; i < 8; i++) {
    blocks.push(new ActNorm({ scaleBound: 5 }));
    blocks.push(new InvertibleResidual({ hiddenUnits, coeff: 0.9 }));
  }
  if (variant === 'sharp') {
    blocks.push(new InvertibleResidual({ hiddenUnits, coeff: 0.99 })); // expect: residual-coefficient-too-large@warning
  } else if (variant === 'unit') {
    blocks.push(new InvertibleResidual({ hiddenUnits, coeff: 1.0 })); // expect: residual-coefficient-too-large@error
  }
  blocks.push(new ActNorm({})); // expect: unbounded-inverse-gain@hint
  return new Flow(blocks);
}

/** @inputShape [2] */
export const flow = toyFlow('sharp');

function sampleCheckerboard(n: number): tf.Tensor2D {
  return tf.tidy(() => {
    const x1 = tf.sub(tf.mul(tf.randomUniform([n]), 4), 2);
    const x2 = tf.add(tf.sub(tf.randomUniform([n]), tf.mul(tf.randomUniform([n], 0, 2, 'int32').toFloat(), 2)), tf.mod(tf.floor(x1), 2));
    return tf.stack([x1, tf.mul(x2, 2)], 1) as tf.Tensor2D;
  });
}

export async function fit(steps = 2000, batch = 512): Promise<void> {
  const optimizer = tf.train.adam(1e-3);
  for (let step = 0; step < steps; step++) {
    const x = sampleCheckerboard(batch);
    const cost = optimizer.minimize(() => {
      const z = flow.apply(x) as tf.Tensor;
      const logdet = flow.logDetJacobian(x);
      const logpz = tf.mul(-0.5, tf.sum(tf.square(z), 1));
      return tf.neg(tf.mean(tf.add(logpz, logdet))) as tf.Scalar;
    }, true);
    if (step % 100 === 0) console.log(step, (await cost!.data())[0]);
    tf.dispose([x, cost]);
  }
}
