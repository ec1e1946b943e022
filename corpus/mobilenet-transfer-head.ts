// Transfer learning as in tfjs-examples/webcam-transfer-learning: a truncated MobileNet is loaded, and a small
// classification head is built inside the promise chain once the base is available.
import * as tf from '@tensorflow/tfjs';

const MOBILENET_URL = 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json';

export interface Controller {
  truncated: tf.LayersModel;
  head: tf.Sequential;
}

export function loadController(numClasses: number, denseUnits = 100): Promise<Controller> {
  return tf.loadLayersModel(MOBILENET_URL).then((mobilenet) => {
    const layer = mobilenet.getLayer('conv_pw_13_relu');
    const truncated = tf.model({ inputs: mobilenet.inputs, outputs: layer.output });
    const head = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: truncated.outputs[0]!.shape.slice(1) as number[] }),
        tf.layers.dense({ units: denseUnits, activation: 'relu', kernelInitializer: 'varianceScaling', useBias: true }), // expect: missing-lipschitz-constraint@info
        tf.layers.dense({ units: numClasses, kernelInitializer: 'varianceScaling', useBias: false, activation: 'softmax' }), // expect: missing-lipschitz-constraint@info
      ],
    });
    head.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
    return { truncated, head };
  });
}

export async function trainHead(ctrl: Controller, images: tf.Tensor4D, labels: tf.Tensor2D, epochs = 20): Promise<void> {
  const embeddings = tf.tidy(() => ctrl.truncated.predict(images) as tf.Tensor);
  const batchSize = Math.max(1, Math.floor(embeddings.shape[0] * 0.4));
  await ctrl.head.fit(embeddings, labels, {
    batchSize,
    epochs,
    callbacks: { onBatchEnd: async (_batch, logs) => console.log(`loss ${logs?.loss.toFixed(5)}`) },
  });
  embeddings.dispose();
}

export function predictClass(ctrl: Controller, frame: tf.Tensor4D): number {
  return tf.tidy(() => {
    const embedding = ctrl.truncated.predict(frame) as tf.Tensor;
    const probs = ctrl.head.predict(embedding) as tf.Tensor;
    return probs.as1D().argMax().dataSync()[0]!;
  });
}
