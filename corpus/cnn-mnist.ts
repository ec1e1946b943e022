// The convnet of tfjs-examples/mnist, written out: two conv + max-pool stages, flatten, softmax dense.
import * as tf from '@tensorflow/tfjs';

export const IMAGE_H = 28;
export const IMAGE_W = 28;

export function createConvModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({ // expect: missing-lipschitz-constraint@info
      inputShape: [IMAGE_H, IMAGE_W, 1],
      kernelSize: 3,
      filters: 16,
      activation: 'relu',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ kernelSize: 3, filters: 32, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ kernelSize: 3, filters: 32, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.flatten({}));
  model.add(tf.layers.dense({ units: 64, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' })); // expect: missing-lipschitz-constraint@info
  return model;
}

export async function train(model: tf.Sequential, trainXs: tf.Tensor4D, trainYs: tf.Tensor2D, onIteration?: (batch: number, logs?: tf.Logs) => void) {
  model.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const batchSize = 320;
  const validationSplit = 0.15;
  let trainBatchCount = 0;
  const totalNumBatches = Math.ceil((trainXs.shape[0] * (1 - validationSplit)) / batchSize) * 3;
  await model.fit(trainXs, trainYs, {
    batchSize,
    validationSplit,
    epochs: 3,
    callbacks: {
      onBatchEnd: async (batch, logs) => {
        trainBatchCount++;
        if (onIteration && batch % 10 === 0) onIteration(batch, logs);
        if (trainBatchCount % 50 === 0) console.log(`${((trainBatchCount / totalNumBatches) * 100).toFixed(1)}% done`);
        await tf.nextFrame();
      },
    },
  });
}

export function predictDigits(model: tf.Sequential, examples: tf.Tensor4D): number[] {
  return tf.tidy(() => Array.from((model.predict(examples) as tf.Tensor).argMax(-1).dataSync()));
}
