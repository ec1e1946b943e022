// A WGAN-GP for univariate time series (windows of 48 steps), organised as a class that owns both networks and
// builds them in init(). The critic's Wasserstein estimate only means something if it stays 1-Lipschitz; here the
// gradient penalty is the only thing asking for that.
import * as tf from '@tensorflow/tfjs';

const WINDOW = 48;
const NOISE = 16;

export class TimeSeriesWGAN {
  constructor(opts = {}) {
    this.gpWeight = opts.gpWeight ?? 10;
    this.nCritic = opts.nCritic ?? 5;
    this.critic = null;
    this.generator = null;
  }

  init() {
    this.critic = tf.sequential();
    this.critic.add(tf.layers.conv1d({ filters: 32, kernelSize: 5, strides: 2, padding: 'same', inputShape: [WINDOW, 1] })); // expect: missing-lipschitz-constraint@warning
    this.critic.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    this.critic.add(tf.layers.conv1d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same' })); // expect: missing-lipschitz-constraint@warning
    this.critic.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    this.critic.add(tf.layers.flatten());
    this.critic.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@warning

    this.generator = tf.sequential();
    this.generator.add(tf.layers.gru({ units: 64, returnSequences: true, inputShape: [WINDOW, NOISE] })); // expect: missing-lipschitz-constraint@info
    this.generator.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1, activation: 'tanh' }) })); // expect: missing-lipschitz-constraint@info
    this.dOpt = tf.train.adam(1e-4, 0.0, 0.9);
    this.gOpt = tf.train.adam(1e-4, 0.0, 0.9);
    return this;
  }

  gradientPenalty(real, fake) {
    return tf.tidy(() => {
      const eps = tf.randomUniform([real.shape[0], 1, 1]);
      const mixed = real.mul(eps).add(fake.mul(tf.scalar(1).sub(eps)));
      const g = tf.grad((x) => this.critic.apply(x).sum())(mixed);
      const slopes = g.square().sum([1, 2]).sqrt();
      return slopes.sub(1).square().mean().mul(this.gpWeight);
    });
  }

  criticStep(real) {
    const noise = tf.randomNormal([real.shape[0], WINDOW, NOISE]);
    const fake = this.generator.predict(noise);
    const cost = this.dOpt.minimize(() => {
      const wd = this.critic.apply(real).mean().sub(this.critic.apply(fake).mean());
      return wd.neg().add(this.gradientPenalty(real, fake));
    }, true);
    tf.dispose([noise, fake]);
    return cost;
  }

  generatorStep(batchSize) {
    return this.gOpt.minimize(() => {
      const fake = this.generator.apply(tf.randomNormal([batchSize, WINDOW, NOISE]));
      return this.critic.apply(fake).mean().neg();
    }, true);
  }
}

export const gan = new TimeSeriesWGAN({ gpWeight: 10 }).init();
