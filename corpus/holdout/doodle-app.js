/* global tf, tfvis */
// Browser app (loaded with <script src=".../tf.min.js">): the user draws doodles of NUM_CLASSES kinds on a
// canvas, and the "Train" button builds and trains a small depthwise-separable CNN on the collected samples.

const NUM_CLASSES = 5;
const samples = [];
let model = null;

const canvas = document.getElementById('pad');
const status = document.getElementById('status');

function snapshot(label) {
  const img = tf.tidy(() => tf.browser.fromPixels(canvas, 1).resizeBilinear([28, 28]).toFloat().div(255));
  samples.push({ img, label });
  status.textContent = `${samples.length} samples`;
}

document.querySelectorAll('button.label').forEach((btn) => {
  btn.addEventListener('click', () => snapshot(Number(btn.dataset.label)));
});

function buildModel() {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' })); // expect: missing-lipschitz-constraint@info
  m.add(tf.layers.separableConv2d({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' })); // expect: missing-lipschitz-constraint@info
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' })); // expect: missing-lipschitz-constraint@info
  return m;
}

document.getElementById('train').addEventListener('click', async () => {
  if (samples.length < NUM_CLASSES * 5) {
    status.textContent = 'draw at least 5 doodles of each kind first';
    return;
  }
  if (model) model.dispose();
  model = buildModel();
  model.compile({ optimizer: tf.train.adam(0.002), loss: 'categoricalCrossentropy', metrics: ['acc'] });

  const xs = tf.stack(samples.map((s) => s.img));
  const ys = tf.oneHot(tf.tensor1d(samples.map((s) => s.label), 'int32'), NUM_CLASSES);
  const surface = { name: 'Training', tab: 'Model' };
  await model.fit(xs, ys, {
    epochs: 25,
    batchSize: 16,
    shuffle: true,
    callbacks: tfvis.show.fitCallbacks(surface, ['loss', 'acc']),
  });
  tf.dispose([xs, ys]);
  status.textContent = 'trained';
});

document.getElementById('predict').addEventListener('click', () => {
  if (!model) return;
  const probs = tf.tidy(() => {
    const img = tf.browser.fromPixels(canvas, 1).resizeBilinear([28, 28]).toFloat().div(255);
    return model.predict(img.expandDims(0)).dataSync();
  });
  const best = probs.indexOf(Math.max(...probs));
  status.textContent = `class ${best} (${(probs[best] * 100).toFixed(1)}%)`;
});
