// Glow with additive couplings (the "additive" variant of the Glow paper's ablation) written with Lipschitz
// Lens' layers: bounded ActNorm, LU-parameterised 1x1 convolution, additive coupling. Additive couplings are
// volume preserving; the 1x1 convolutions are what the inverse bound now depends on.
import { ActNorm, AdditiveCoupling, Flow, InvertibleConv1x1, Squeeze } from 'lipschitz-lens';
import * as tf from '@tensorflow/tfjs';

const K = 16; // steps per level
const LEVELS = 2;
const hiddenChannels = 256;

function step() {
  return [
    new ActNorm({ scaleBound: 10 }),
    new InvertibleConv1x1({}), // expect: unbounded-inverse-gain@hint
    new AdditiveCoupling({ hiddenChannels, zeroInit: true }),
  ];
}

export function buildGlow() {
  const layers = [];
  for (let level = 0; level < LEVELS; level++) {
    layers.push(new Squeeze({ factor: 2 }));
    for (let k = 0; k < K; k++) layers.push(...step());
  }
  return new Flow(layers);
}

/** @inputShape [16, 16, 3] */
export const glow = buildGlow();

export async function trainEpoch(flow, dataset, optimizer = tf.train.adamax(1e-3)) {
  let total = 0;
  let batches = 0;
  await dataset.forEachAsync((batch) => {
    const cost = optimizer.minimize(() => {
      const x = batch.xs.div(255).sub(0.5).add(tf.randomUniform(batch.xs.shape, 0, 1 / 256));
      const z = flow.apply(x);
      const logpz = z.square().add(Math.log(2 * Math.PI)).mul(-0.5).sum([1, 2, 3]);
      return logpz.add(flow.logDetJacobian(x)).mean().neg();
    }, true);
    total += cost.dataSync()[0];
    batches += 1;
    cost.dispose();
  });
  return total / batches;
}
