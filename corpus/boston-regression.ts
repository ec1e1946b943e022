// Boston-housing price regression in the style of tfjs-examples/boston-housing: a linear model and a two-hidden-
// layer MLP, both built once the backend is ready, with a shared config object spread into the hidden layers.
import * as tf from '@tensorflow/tfjs';

const NUM_FEATURES = 12;

const hiddenLayerDefaults = {
  activation: 'sigmoid' as const,
  kernelInitializer: 'leCunNormal' as const,
  kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }),
};

export function linearRegressionModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [NUM_FEATURES], units: 1 })); // expect: missing-lipschitz-constraint@info
  return model;
}

export function multiLayerPerceptronRegressionModel2Hidden(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ ...hiddenLayerDefaults, inputShape: [NUM_FEATURES], units: 50 })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.dense({ ...hiddenLayerDefaults, units: 50 })); // expect: missing-lipschitz-constraint@info
  model.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@info
  return model;
}

function normalize(data: tf.Tensor2D, mean: tf.Tensor, std: tf.Tensor): tf.Tensor2D {
  return tf.div(tf.sub(data, mean), std) as tf.Tensor2D;
}

export function run(trainX: tf.Tensor2D, trainY: tf.Tensor2D, testX: tf.Tensor2D, testY: tf.Tensor2D): Promise<void> {
  return tf
    .ready()
    .then(() => {
      const { mean, variance } = tf.moments(trainX, 0);
      const std = tf.sqrt(variance);
      return { xs: normalize(trainX, mean, std), test: normalize(testX, mean, std) };
    })
    .then(async ({ xs, test }) => {
      for (const [name, build] of [
        ['linear', linearRegressionModel],
        ['mlp-2', multiLayerPerceptronRegressionModel2Hidden],
      ] as const) {
        const model = build();
        model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
        await model.fit(xs, trainY, { batchSize: 40, epochs: 200, validationSplit: 0.2, verbose: 0 });
        const result = model.evaluate(test, testY, { batchSize: 40 }) as tf.Scalar;
        console.log(`${name}: test MSE ${result.dataSync()[0]!.toFixed(2)}`);
      }
    });
}
