// WGAN-LP (Petzka et al. 2018) on a 2-D mixture of 8 Gaussians: the critic is pushed towards 1-Lipschitz by
// the one-sided Lipschitz penalty lambda * max(0, ||grad_x D(x_hat)|| - 1)^2 on random interpolates. No
// constraint is on the critic's kernels. The generator is an ordinary MLP.
const tf = require('@tensorflow/tfjs');

const LAMBDA = 5;
const LATENT = 2;
const N_CRITIC = 5;

function buildCritic() {
  return tf.sequential({
    name: 'critic',
    layers: [
      tf.layers.dense({ inputShape: [2], units: 256, activation: 'relu' }), // expect: missing-lipschitz-constraint@warning
      tf.layers.layerNormalization(),
      tf.layers.dense({ units: 256, activation: 'swish' }), // expect: missing-lipschitz-constraint@warning, non-lipschitz-activation@warning
      tf.layers.dense({ units: 256, activation: 'relu' }), // expect: missing-lipschitz-constraint@warning
      tf.layers.dense({ units: 1 }), // expect: missing-lipschitz-constraint@warning
    ],
  });
}

function buildGenerator() {
  const g = tf.sequential({ name: 'generator' });
  g.add(tf.layers.dense({ inputShape: [LATENT], units: 128, activation: 'selu' })); // expect: missing-lipschitz-constraint@info
  g.add(tf.layers.dense({ units: 128, activation: 'selu' })); // expect: missing-lipschitz-constraint@info
  g.add(tf.layers.dense({ units: 2 })); // expect: missing-lipschitz-constraint@info
  return g;
}

function sampleData(n) {
  return tf.tidy(() => {
    const k = tf.randomUniform([n], 0, 8, 'int32').toFloat();
    const angle = k.mul(Math.PI / 4);
    const centers = tf.stack([tf.cos(angle), tf.sin(angle)], 1).mul(2);
    return centers.add(tf.randomNormal([n, 2], 0, 0.02));
  });
}

const critic = buildCritic();
const generator = buildGenerator();
const cOpt = tf.train.adam(1e-4, 0.5, 0.9);
const gOpt = tf.train.adam(1e-4, 0.5, 0.9);
const vars = (m) => m.trainableWeights.map((w) => w.read());

function lipschitzPenalty(real, fake) {
  const eps = tf.randomUniform([real.shape[0], 1]);
  const xHat = real.mul(eps).add(fake.mul(tf.sub(1, eps)));
  const grads = tf.grad((x) => critic.apply(x).sum())(xHat);
  const norms = tf.norm(grads, 'euclidean', 1);
  return tf.relu(norms.sub(1)).square().mean();
}

function criticStep(batchSize) {
  const real = sampleData(batchSize);
  const fake = tf.tidy(() => generator.predict(tf.randomNormal([batchSize, LATENT])));
  const loss = cOpt.minimize(
    () => {
      const wDist = critic.apply(real).mean().sub(critic.apply(fake).mean());
      return wDist.neg().add(lipschitzPenalty(real, fake).mul(LAMBDA));
    },
    true,
    vars(critic),
  );
  tf.dispose([real, fake]);
  return loss;
}

function generatorStep(batchSize) {
  return gOpt.minimize(() => critic.apply(generator.apply(tf.randomNormal([batchSize, LATENT]))).mean().neg(), true, vars(generator));
}

async function train(iterations = 20000, batchSize = 256) {
  for (let it = 0; it < iterations; it++) {
    let cLoss;
    for (let k = 0; k < N_CRITIC; k++) {
      cLoss?.dispose();
      cLoss = criticStep(batchSize);
    }
    const gLoss = generatorStep(batchSize);
    if (it % 500 === 0) console.log(`it ${it}: critic ${cLoss.dataSync()[0].toFixed(4)} gen ${gLoss.dataSync()[0].toFixed(4)}`);
    tf.dispose([cLoss, gLoss]);
    if (it % 50 === 0) await tf.nextFrame();
  }
}

module.exports = { buildCritic, buildGenerator, train };
