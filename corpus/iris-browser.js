// Iris classification on a web page: tfjs is loaded with a <script> tag, so `tf` is a global and this file has no
// imports. The model is built when the "Train" button is clicked.
/* global tf, document */

const IRIS_CLASSES = ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica'];
const IRIS_NUM_FEATURES = 4;

function createIrisModel(learningRate) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 10, activation: 'sigmoid', inputShape: [IRIS_NUM_FEATURES] })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' })); // expect: missing-lipschitz-constraint@info
  model.summary();
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function trainModel(xTrain, yTrain, xTest, yTest) {
  const status = document.getElementById('status');
  status.textContent = 'Training model... Please wait.';
  const params = {
    epochs: Number(document.getElementById('train-epochs').value),
    learningRate: Number(document.getElementById('learning-rate').value),
  };
  const model = createIrisModel(params.learningRate);
  const lossValues = [];
  await model.fit(xTrain, yTrain, {
    epochs: params.epochs,
    validationData: [xTest, yTest],
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        lossValues.push({ epoch, loss: logs.loss, valLoss: logs.val_loss });
        status.textContent = `Epoch ${epoch + 1} of ${params.epochs} completed.`;
        await tf.nextFrame();
      },
    },
  });
  status.textContent = 'Model training complete.';
  return model;
}

function predictOnManualInput(model) {
  const inputs = ['petal-length', 'petal-width', 'sepal-length', 'sepal-width'].map((id) => Number(document.getElementById(id).value));
  tf.tidy(() => {
    const input = tf.tensor2d([inputs], [1, IRIS_NUM_FEATURES]);
    const predictOut = model.predict(input);
    const winner = IRIS_CLASSES[predictOut.argMax(-1).dataSync()[0]];
    document.getElementById('winner').textContent = winner;
  });
}

document.getElementById('train-from-scratch').addEventListener('click', async () => {
  const { xTrain, yTrain, xTest, yTest } = window.irisData;
  const model = await trainModel(xTrain, yTrain, xTest, yTest);
  document.getElementById('predict').onclick = () => predictOnManualInput(model);
});
