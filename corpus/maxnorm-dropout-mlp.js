// Dropout + max-norm regularisation as in Srivastava et al. (2014, "Dropout: a simple way to prevent neural
// networks from overfitting"): every hidden layer's incoming weight vectors are capped at norm 3. An ordinary
// classifier: the cap is a regulariser, not a Lipschitz certificate.
const tf = require('@tensorflow/tfjs');

const MAX_NORM = 3;

function hiddenLayer(units, first, inputDim) {
  return tf.layers.dense({
    units,
    activation: 'relu',
    kernelConstraint: tf.constraints.maxNorm({ maxValue: MAX_NORM, axis: 0 }), // expect: column-norm-not-spectral@hint
    ...(first ? { inputShape: [inputDim] } : {}),
  });
}

function createDropoutNet(inputDim, numClasses, hidden = [1024, 1024, 1024]) {
  const model = tf.sequential();
  model.add(tf.layers.dropout({ rate: 0.2, inputShape: [inputDim] }));
  hidden.forEach((units) => {
    model.add(hiddenLayer(units, false, inputDim));
    model.add(tf.layers.dropout({ rate: 0.5 }));
  });
  model.add(
    tf.layers.dense({
      units: numClasses,
      activation: 'softmax',
      kernelConstraint: tf.constraints.maxNorm({ maxValue: MAX_NORM, axis: 0 }), // expect: column-norm-not-spectral@hint
    }),
  );
  model.compile({
    optimizer: tf.train.momentum(0.1, 0.95, true),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

async function train(model, xs, ys, epochs = 100) {
  // Learning rate decays by 0.998 per epoch, momentum ramps from 0.5 to 0.99 in the paper; kept fixed here.
  return model.fit(xs, ys, {
    epochs,
    batchSize: 100,
    shuffle: true,
    validationSplit: 0.1,
    callbacks: {
      onEpochEnd: (epoch, logs) => {
        if (epoch % 10 === 0) console.log(`epoch ${epoch}: loss=${logs.loss.toFixed(4)} acc=${logs.acc}`);
      },
    },
  });
}

module.exports = { createDropoutNet, train };
