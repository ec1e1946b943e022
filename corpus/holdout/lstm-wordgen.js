// Word-level text generation with stacked LSTMs, run under Node with the native backend. The training text is
// cut into windows of SEQ_LEN word ids, the model predicts the next word; sampling uses a temperature.
const tf = require('@tensorflow/tfjs-node');
const fs = require('fs');

const SEQ_LEN = 20;
const EMBED_DIM = 100;
const HIDDEN = 256;

function tokenize(text) {
  const words = text.toLowerCase().replace(/[^a-z' \n]/g, ' ').split(/\s+/).filter(Boolean);
  const vocab = [...new Set(words)];
  const index = new Map(vocab.map((w, i) => [w, i]));
  return { ids: words.map((w) => index.get(w)), vocab };
}

function createModel(vocabSize) {
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: vocabSize, outputDim: EMBED_DIM, inputLength: SEQ_LEN })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.lstm({ units: HIDDEN, returnSequences: true, recurrentDropout: 0 })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.dropout({ rate: 0.2 }));
  model.add(tf.layers.lstm({ units: HIDDEN })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.dense({ units: vocabSize, activation: 'softmax' })); // expect: missing-lipschitz-constraint@info
  model.compile({ optimizer: tf.train.rmsprop(2e-3), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

function makeWindows(ids, stride = 3) {
  const xs = [];
  const ys = [];
  for (let i = 0; i + SEQ_LEN < ids.length; i += stride) {
    xs.push(ids.slice(i, i + SEQ_LEN));
    ys.push(ids[i + SEQ_LEN]);
  }
  return { xs: tf.tensor2d(xs, undefined, 'int32'), ys: tf.tensor1d(ys, 'float32') };
}

function sample(probs, temperature) {
  return tf.tidy(() => {
    const logits = tf.div(tf.log(tf.add(probs, 1e-8)), temperature);
    return tf.multinomial(logits, 1).dataSync()[0];
  });
}

async function generate(model, seedIds, vocab, length = 50, temperature = 0.8) {
  let window = seedIds.slice(-SEQ_LEN);
  const out = [];
  for (let i = 0; i < length; i++) {
    const input = tf.tensor2d([window], [1, SEQ_LEN], 'int32');
    const probs = model.predict(input);
    const next = sample(probs.squeeze(), temperature);
    tf.dispose([input, probs]);
    out.push(vocab[next]);
    window = [...window.slice(1), next];
  }
  return out.join(' ');
}

async function main(path) {
  const { ids, vocab } = tokenize(fs.readFileSync(path, 'utf8'));
  const model = createModel(vocab.length);
  const { xs, ys } = makeWindows(ids);
  for (let epoch = 0; epoch < 20; epoch++) {
    await model.fit(xs, ys, { batchSize: 128, epochs: 1, validationSplit: 0.05 });
    const start = Math.floor(Math.random() * (ids.length - SEQ_LEN));
    console.log(await generate(model, ids.slice(start, start + SEQ_LEN), vocab));
  }
  await model.save('file://./wordgen-model');
}

module.exports = { createModel, generate };

if (require.main === module) main(process.argv[2] || 'data/corpus.txt');
