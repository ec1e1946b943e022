// Character-level text generation in the style of tfjs-examples/lstm-text-generation: an embedding of the
// character ids, two stacked LSTMs, a softmax over the vocabulary. tf.layers is aliased to L.
import * as tf from '@tensorflow/tfjs';

const L = tf.layers;

export function createModel(sampleLen, charSetSize, lstmLayerSizes = [128, 128]) {
  const model = tf.sequential();
  model.add(L.embedding({ inputDim: charSetSize, outputDim: 32, inputLength: sampleLen })); // expect: missing-lipschitz-constraint@info
  for (let i = 0; i < lstmLayerSizes.length; ++i) {
    model.add(L.lstm({ units: lstmLayerSizes[i], returnSequences: i < lstmLayerSizes.length - 1, recurrentDropout: 0.1 })); // expect: missing-lipschitz-constraint@info
  }
  model.add(L.dense({ units: charSetSize, activation: 'softmax' })); // expect: missing-lipschitz-constraint@info
  return model;
}

export function compileModel(model, learningRate) {
  model.compile({ optimizer: tf.train.rmsprop(learningRate), loss: 'sparseCategoricalCrossentropy' });
}

export async function fitModel(model, textData, numEpochs, examplesPerEpoch, batchSize, validationSplit, callbacks) {
  for (let i = 0; i < numEpochs; ++i) {
    const [xs, ys] = textData.nextDataEpoch(examplesPerEpoch);
    await model.fit(xs, ys, { epochs: 1, batchSize, validationSplit, callbacks });
    xs.dispose();
    ys.dispose();
  }
}

// Sample the next char with temperature: logits / T, then a categorical draw.
function sample(probs, temperature) {
  return tf.tidy(() => {
    const logits = tf.div(tf.log(probs), Math.max(temperature, 1e-6));
    const isNormalized = false;
    return tf.multinomial(logits, 1, null, isNormalized).dataSync()[0];
  });
}

export async function generateText(model, textData, sentenceIndices, length, temperature) {
  const sampleLen = model.inputs[0].shape[1];
  let indices = sentenceIndices.slice();
  let generated = '';
  while (generated.length < length) {
    const input = tf.tensor2d([indices.slice(-sampleLen)], [1, sampleLen]);
    const output = model.predict(input);
    const winnerIndex = sample(tf.squeeze(output), temperature);
    generated += textData.getFromCharSet(winnerIndex);
    indices = indices.concat(winnerIndex);
    tf.dispose([input, output]);
    await tf.nextFrame();
  }
  return generated;
}
