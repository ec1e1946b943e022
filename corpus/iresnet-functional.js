// An i-ResNet (Behrmann et al. 2019) for tabular density estimation, functional API, CommonJS. Each block is
// x + g(x) with g a small MLP whose layers are spectrally normalised to 0.9 (Lip(g) < 1, so the block is
// invertible by fixed-point iteration). The branches are kept as their own models so inverse() can iterate.
const tf = require('@tensorflow/tfjs');
const { spectralNorm } = require('lipschitz-lens');

const WIDTH = 10;
const HIDDEN = 64;
const N_BLOCKS = 4;

function branch(name, lastLayerConstrained = true) {
  const x = tf.input({ shape: [WIDTH] });
  let h = tf.layers.dense({ units: HIDDEN, activation: 'elu', kernelConstraint: spectralNorm({ coeff: 0.9 }), name: `${name}_fc1` }).apply(x);
  h = tf.layers.dense({ units: HIDDEN, activation: 'elu', kernelConstraint: spectralNorm({ coeff: 0.9 }), name: `${name}_fc2` }).apply(h);
  const out = lastLayerConstrained
    ? tf.layers.dense({ units: WIDTH, kernelConstraint: spectralNorm({ coeff: 0.9 }), name: `${name}_out` }).apply(h)
    : tf.layers.dense({ units: WIDTH, kernelInitializer: 'zeros', name: `${name}_out` }).apply(h); // expect: missing-lipschitz-constraint@error
  return tf.model({ inputs: x, outputs: out, name });
}

function buildIResNet() {
  const branches = [];
  const input = tf.input({ shape: [WIDTH] });
  let x = input;
  for (let i = 0; i < N_BLOCKS; i++) {
    // The last block was initialised at zero "to start from the identity", and its constraint went missing.
    const g = branch(`block${i}`, i < N_BLOCKS - 1);
    branches.push(g);
    x = tf.layers.add({ name: `res${i}` }).apply([x, g.apply(x)]);
  }
  const model = tf.model({ inputs: input, outputs: x, name: 'iresnet' });
  return { model, branches };
}

// Inverse block by block, last to first: x <- y - g(x), n iterations each.
function inverse({ branches }, y, nIter = 50) {
  return tf.tidy(() => {
    let out = y;
    for (let b = branches.length - 1; b >= 0; b--) {
      let x = out;
      for (let k = 0; k < nIter; k++) x = out.sub(branches[b].apply(x));
      out = x;
    }
    return out;
  });
}

async function train(net, data, epochs = 20) {
  const opt = tf.train.adam(1e-3);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const loss = opt.minimize(() => {
      const z = net.model.apply(data);
      // Gaussian prior only; the log-det power series is left out of this sketch.
      return z.square().sum(1).mul(0.5).mean();
    }, true);
    console.log(`epoch ${epoch} loss ${(await loss.data())[0].toFixed(4)}`);
    loss.dispose();
  }
}

module.exports = { buildIResNet, inverse, train };
