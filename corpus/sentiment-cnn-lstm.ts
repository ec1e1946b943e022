// IMDB sentiment in the style of tfjs-examples/sentiment: an embedding followed by one of several encoders chosen
// with if/else from a command-line flag, then a sigmoid unit.
import * as tf from '@tensorflow/tfjs';

export type ModelType = 'multihot' | 'flatten' | 'cnn' | 'simpleRNN' | 'lstm' | 'bidirectionalLSTM';

export function buildModel(modelType: ModelType, maxLen: number, vocabularySize: number, embeddingSize: number): tf.Sequential {
  const model = tf.sequential();
  if (modelType === 'multihot') {
    model.add(tf.layers.dense({ units: 16, activation: 'relu', inputShape: [vocabularySize] })); // expect: missing-lipschitz-constraint@info
    model.add(tf.layers.dense({ units: 16, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
  } else {
    model.add(tf.layers.embedding({ inputDim: vocabularySize, outputDim: embeddingSize, inputLength: maxLen })); // expect: missing-lipschitz-constraint@info
    if (modelType === 'flatten') {
      model.add(tf.layers.flatten());
    } else if (modelType === 'cnn') {
      model.add(tf.layers.dropout({ rate: 0.5 }));
      model.add(tf.layers.conv1d({ filters: 250, kernelSize: 5, strides: 1, padding: 'valid', activation: 'relu' })); // expect: missing-lipschitz-constraint@info
      model.add(tf.layers.globalMaxPool1d({}));
      model.add(tf.layers.dense({ units: 250, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
    } else if (modelType === 'simpleRNN') {
      model.add(tf.layers.simpleRNN({ units: 32 })); // expect: missing-lipschitz-constraint@info
    } else if (modelType === 'lstm') {
      model.add(tf.layers.lstm({ units: 32 })); // expect: missing-lipschitz-constraint@info
    } else if (modelType === 'bidirectionalLSTM') {
      model.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 32 }) as tf.layers.RNN, mergeMode: 'concat' })); // expect: missing-lipschitz-constraint@info
    } else {
      throw new Error(`Unsupported model type: ${modelType}`);
    }
  }
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' })); // expect: missing-lipschitz-constraint@info
  return model;
}

export async function trainSentiment(
  modelType: ModelType,
  xTrain: tf.Tensor2D,
  yTrain: tf.Tensor2D,
  vocabularySize = 10000,
  maxLen = 100,
): Promise<tf.Sequential> {
  const model = buildModel(modelType, maxLen, vocabularySize, 128);
  model.compile({ loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['acc'] });
  model.summary();
  await model.fit(xTrain, yTrain, { epochs: 10, batchSize: 128, validationSplit: 0.2 });
  return model;
}
