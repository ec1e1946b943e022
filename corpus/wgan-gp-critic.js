// WGAN-GP (Gulrajani et al. 2017) for tabular data, CommonJS. The critic is kept approximately 1-Lipschitz by
// the gradient penalty lambda * (||grad D(x_hat)||_2 - 1)^2 on random interpolates; layer normalisation instead of
// batch norm in the critic, as the paper recommends.
const tf = require('@tensorflow/tfjs');

const FEATURES = 32;
const LAMBDA = 10;

function createCritic(hidden = 256) {
  const input = tf.input({ shape: [FEATURES] });
  let h = tf.layers.dense({ units: hidden }).apply(input); // expect: missing-lipschitz-constraint@warning
  h = tf.layers.layerNormalization().apply(h);
  h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(h);
  h = tf.layers.dense({ units: hidden }).apply(h); // expect: missing-lipschitz-constraint@warning
  h = tf.layers.layerNormalization().apply(h);
  h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(h);
  const score = tf.layers.dense({ units: 1 }).apply(h); // expect: missing-lipschitz-constraint@warning
  return tf.model({ inputs: input, outputs: score, name: 'critic' });
}

function createGenerator(latent = 64, hidden = 256) {
  const z = tf.input({ shape: [latent] });
  let h = tf.layers.dense({ units: hidden, activation: 'relu' }).apply(z); // expect: missing-lipschitz-constraint@info
  h = tf.layers.dense({ units: hidden, activation: 'relu' }).apply(h); // expect: missing-lipschitz-constraint@info
  const x = tf.layers.dense({ units: FEATURES }).apply(h); // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: z, outputs: x, name: 'generator' });
}

function gradientPenalty(critic, real, fake) {
  const alpha = tf.randomUniform([real.shape[0], 1]);
  const interp = real.mul(alpha).add(fake.mul(tf.sub(1, alpha)));
  const gradFn = tf.grad((x) => critic.apply(x).sum());
  const grads = gradFn(interp);
  const norms = grads.square().sum(1).add(1e-12).sqrt();
  return norms.sub(1).square().mean().mul(LAMBDA);
}

function criticLoss(critic, real, fake) {
  const wass = critic.apply(fake).mean().sub(critic.apply(real).mean());
  return wass.add(gradientPenalty(critic, real, fake));
}

async function train(data, { epochs = 100, batchSize = 64, nCritic = 5 } = {}) {
  const critic = createCritic();
  const generator = createGenerator();
  const dOpt = tf.train.adam(1e-4, 0.5, 0.9);
  const gOpt = tf.train.adam(1e-4, 0.5, 0.9);
  const n = data.shape[0];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let start = 0; start + batchSize <= n; start += batchSize * nCritic) {
      for (let k = 0; k < nCritic; k++) {
        const real = data.slice([Math.min(start + k * batchSize, n - batchSize), 0], [batchSize, FEATURES]);
        const fake = generator.predict(tf.randomNormal([batchSize, 64]));
        dOpt.minimize(() => criticLoss(critic, real, fake), false, critic.trainableWeights.map((w) => w.val));
        tf.dispose([real, fake]);
      }
      gOpt.minimize(() => critic.apply(generator.apply(tf.randomNormal([batchSize, 64]))).mean().neg(), false, generator.trainableWeights.map((w) => w.val));
    }
    await tf.nextFrame();
  }
  return { critic, generator };
}

module.exports = { createCritic, createGenerator, train };
