// A RealNVP-style density model for 10-dimensional tabular data built from Lipschitz Lens layers, with the coupling
// scale chosen from an experiment config. The 'exp' and 'sigmoid' settings were the baselines of the comparison;
// the batch normalisation between couplings follows the RealNVP paper.
import * as tf from '@tensorflow/tfjs';
import { ActNorm, AffineCoupling, Flow, InvertibleLinear, Permutation } from 'lipschitz-lens';

type ScaleKind = 'exp' | 'sigmoid' | 'tanh' | 'floor';

interface ExperimentConfig {
  scale: ScaleKind;
  hiddenUnits: number;
  steps: number;
  normalization: 'actnorm' | 'batchnorm' | 'none';
}

function coupling(kind: ScaleKind, hiddenUnits: number) {
  if (kind === 'exp') {
    return new AffineCoupling({ hiddenUnits, scale: 'exp' }); // expect: unbounded-coupling-scale@warning
  } else if (kind === 'sigmoid') {
    return new AffineCoupling({ hiddenUnits, scale: 'sigmoid' }); // expect: unbounded-coupling-scale@warning
  } else if (kind === 'tanh') {
    return new AffineCoupling({ hiddenUnits, scale: 'bounded-tanh', scaleBound: 2 });
  }
  return new AffineCoupling({ hiddenUnits, scale: 'sigmoid-floor', scaleFloor: 0.05 });
}

function normalization(kind: ExperimentConfig['normalization']): tf.layers.Layer[] {
  switch (kind) {
    case 'actnorm':
      return [new ActNorm({})]; // expect: unbounded-inverse-gain@hint
    case 'batchnorm':
      return [tf.layers.batchNormalization({ momentum: 0.9 })]; // expect: batchnorm-in-invertible@error
    default:
      return [];
  }
}

export function buildFlow(cfg: ExperimentConfig): Flow {
  const layers: tf.layers.Layer[] = [];
  for (let i = 0; i < cfg.steps; i++) {
    layers.push(...normalization(cfg.normalization));
    layers.push(new InvertibleLinear({})); // expect: unbounded-inverse-gain@hint
    layers.push(coupling(cfg.scale, cfg.hiddenUnits));
    layers.push(new Permutation({ seed: i }));
  }
  return new Flow(layers);
}

export const experiments: ExperimentConfig[] = [
  { scale: 'exp', hiddenUnits: 128, steps: 5, normalization: 'batchnorm' },
  { scale: 'sigmoid', hiddenUnits: 128, steps: 5, normalization: 'actnorm' },
  { scale: 'tanh', hiddenUnits: 128, steps: 5, normalization: 'actnorm' },
  { scale: 'floor', hiddenUnits: 128, steps: 5, normalization: 'none' },
];

/** @inputShape [10] */
export const flows = experiments.map(buildFlow);

export function meanLogLikelihood(flow: Flow, x: tf.Tensor2D): number {
  return tf.tidy(() => {
    const z = flow.apply(x) as tf.Tensor;
    const logpz = tf.mul(-0.5, tf.sum(tf.add(tf.square(z), Math.log(2 * Math.PI)), 1));
    return tf.mean(tf.add(logpz, flow.logDetJacobian(x))).dataSync()[0]!;
  });
}
