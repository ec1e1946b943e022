// The tabular flow of this experiment: softplus couplings from ./coupling.js alternating halves, with batch
// normalisation between them (as in RealNVP and MAF) to keep activations well scaled during training.
const tf = require('@tensorflow/tfjs');
const { SoftplusCoupling } = require('./coupling');

function createFlow(dim, nCouplings = 8) {
  const flow = tf.sequential({ name: 'tabular_flow' });
  for (let i = 0; i < nCouplings; i++) {
    const config = { dim, swap: i % 2 === 1, residual: i >= nCouplings / 2 };
    if (i === 0) config.inputShape = [dim];
    flow.add(new SoftplusCoupling(config));
    if (i < nCouplings - 1) flow.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 })); // expect: batchnorm-in-invertible@error
  }
  return flow;
}

function inverse(flow, z) {
  return tf.tidy(() => {
    let x = z;
    for (const layer of [...flow.layers].reverse()) {
      if (typeof layer.inverse === 'function') {
        x = layer.inverse(x);
      } else {
        // batch norm at inference: x = (y - beta) / gamma * sqrt(var + eps) + mean
        const [gamma, beta, mean, variance] = layer.getWeights();
        x = x.sub(beta).div(gamma).mul(variance.add(1e-5).sqrt()).add(mean);
      }
    }
    return x;
  });
}

async function fitFlow(flow, data, epochs = 50) {
  const opt = tf.train.adam(1e-3);
  for (let e = 0; e < epochs; e++) {
    const loss = opt.minimize(() => {
      const z = flow.apply(data, { training: true });
      let logdet = tf.zeros([data.shape[0]]);
      let h = data;
      for (const layer of flow.layers) {
        if (layer.logDetJacobian) logdet = logdet.add(layer.logDetJacobian(h));
        h = layer.apply(h, { training: true });
      }
      return z.square().sum(1).mul(0.5).sub(logdet).mean();
    }, true);
    if (e % 10 === 0) console.log(`epoch ${e}: ${loss.dataSync()[0]}`);
    loss.dispose();
  }
}

module.exports = { createFlow, inverse, fitFlow };
