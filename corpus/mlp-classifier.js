// A fashion-MNIST MLP classifier for a Node training script: CommonJS, model.add, dropout between layers.
const tf = require('@tensorflow/tfjs');

const IMAGE_SIZE = 28 * 28;
const NUM_CLASSES = 10;

function createModel(hiddenUnits = [512, 256], dropout = 0.2) {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  hiddenUnits.forEach((units) => {
    model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: 'heNormal' })); // expect: missing-lipschitz-constraint@info
    model.add(tf.layers.dropout({ rate: dropout }));
  });
  model.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' })); // expect: missing-lipschitz-constraint@info
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

async function trainModel(model, data, { epochs = 15, batchSize = 128, onEpoch } = {}) {
  const xs = data.images.reshape([-1, 28, 28, 1]).div(255);
  const ys = tf.oneHot(data.labels, NUM_CLASSES);
  const history = await model.fit(xs, ys, {
    epochs,
    batchSize,
    validationSplit: 0.15,
    shuffle: true,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        if (onEpoch) onEpoch(epoch, logs);
        await tf.nextFrame();
      },
    },
  });
  tf.dispose([xs, ys]);
  return history;
}

function evaluate(model, testData) {
  return tf.tidy(() => {
    const xs = testData.images.reshape([-1, 28, 28, 1]).div(255);
    const preds = model.predict(xs).argMax(-1);
    const correct = preds.equal(testData.labels).sum().dataSync()[0];
    return correct / IMAGE_SIZE === 0 ? 0 : correct / testData.labels.shape[0];
  });
}

module.exports = { createModel, trainModel, evaluate };
