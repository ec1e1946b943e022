// An i-ResNet flow built once the tfjs backend is ready (tf.ready().then(...)), from Lipschitz Lens layers, then
// trained in a promise chain. The first version set every coefficient to 1.0 "for maximum expressiveness": with
// Lip(g) = 1 the fixed-point inverse need not converge.
const tf = require('@tensorflow/tfjs');
const { ActNorm, Flow, InvertibleResidual } = require('lipschitz-lens');

const DIM = 6;

function makeFlow(nBlocks) {
  return tf.ready().then(() => {
    const layers = [];
    for (let i = 0; i < nBlocks; i++) {
      layers.push(new ActNorm({ scaleBound: 4 }));
      layers.push(new InvertibleResidual({ hiddenUnits: [64, 64], coeff: 1.0 })); // expect: residual-coefficient-too-large@error
    }
    layers.push(new InvertibleResidual({ hiddenUnits: [64], coeff: 0.9 }));
    return new Flow(layers);
  });
}

function nll(flow, x) {
  const z = flow.apply(x);
  const logpz = z.square().sum(1).mul(-0.5).sub(0.5 * DIM * Math.log(2 * Math.PI));
  return logpz.add(flow.logDetJacobian(x)).mean().neg();
}

function trainLoop(flow, data, steps) {
  const opt = tf.train.adam(5e-4);
  let chain = Promise.resolve();
  for (let s = 0; s < steps; s++) {
    chain = chain
      .then(() => opt.minimize(() => nll(flow, data), true))
      .then((loss) => loss.data().then((v) => (s % 100 === 0 && console.log(`step ${s}: ${v[0].toFixed(3)}`), loss.dispose())));
  }
  return chain.then(() => flow);
}

/** @inputShape [6] */
const flowPromise = makeFlow(6);

module.exports = {
  train: (data, steps = 1000) => flowPromise.then((flow) => trainLoop(flow, data, steps)),
  sample: (n) => flowPromise.then((flow) => flow.inverse(tf.randomNormal([n, DIM]))),
};
