// Conditioner networks for the coupling layers in ./coupling.js: plain ReLU MLPs, optionally with dropout.
// They are never inverted, so they need no constraint. makeResMlp is the deeper variant used for the second half
// of the flow, with one skip connection inside the conditioner.
const tf = require('@tensorflow/tfjs');

function makeMlp(inDim, outDim, { hidden = [128, 128], dropout = 0, zeroLast = true } = {}) {
  const net = tf.sequential();
  hidden.forEach((units, i) => {
    net.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [inDim] } : {}) }));
    if (dropout > 0) net.add(tf.layers.dropout({ rate: dropout }));
  });
  net.add(tf.layers.dense({ units: outDim, kernelInitializer: zeroLast ? 'zeros' : 'glorotUniform' }));
  return net;
}

function makeResMlp(inDim, outDim, width = 128) {
  const input = tf.input({ shape: [inDim] });
  const h0 = tf.layers.dense({ units: width }).apply(input);
  const h1 = tf.layers.dense({ units: width, activation: 'relu' }).apply(h0);
  const h2 = tf.layers.add().apply([h0, tf.layers.dense({ units: width }).apply(h1)]);
  const out = tf.layers.dense({ units: outDim, kernelInitializer: 'zeros' }).apply(tf.layers.reLU().apply(h2));
  return tf.model({ inputs: input, outputs: out });
}

// Number of trainable parameters, for the experiment log.
function countParams(net) {
  return net.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
}

module.exports = { makeMlp, makeResMlp, countParams };
