// A dense autoencoder for anomaly detection on sensor readings (reconstruction error as the anomaly score).
// Layers are destructured from tf.layers, the way some codebases shorten them.
import * as tf from '@tensorflow/tfjs';

const { dense, dropout, input: _unused, gaussianNoise } = tf.layers;

const FEATURES = 64;
const CODE = 8;

export function buildAutoencoder() {
  const input = tf.input({ shape: [FEATURES] });
  let h = gaussianNoise({ stddev: 0.05 }).apply(input);
  h = dense({ units: 32, activation: 'elu' }).apply(h); // expect: missing-lipschitz-constraint@info
  h = dropout({ rate: 0.1 }).apply(h);
  h = dense({ units: 16, activation: 'elu' }).apply(h); // expect: missing-lipschitz-constraint@info
  const code = dense({ units: CODE, activation: 'linear', name: 'code' }).apply(h); // expect: missing-lipschitz-constraint@info

  let d = dense({ units: 16, activation: 'elu' }).apply(code); // expect: missing-lipschitz-constraint@info
  d = dense({ units: 32, activation: 'elu' }).apply(d); // expect: missing-lipschitz-constraint@info
  const recon = dense({ units: FEATURES, activation: 'linear' }).apply(d); // expect: missing-lipschitz-constraint@info

  const autoencoder = tf.model({ inputs: input, outputs: recon, name: 'autoencoder' });
  const encoder = tf.model({ inputs: input, outputs: code, name: 'encoder' });
  return { autoencoder, encoder };
}

export async function fitAutoencoder(normalData, epochs = 50) {
  const { autoencoder, encoder } = buildAutoencoder();
  autoencoder.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  await autoencoder.fit(normalData, normalData, {
    epochs,
    batchSize: 256,
    validationSplit: 0.1,
    callbacks: tf.callbacks.earlyStopping({ monitor: 'val_loss', patience: 5 }),
  });
  return { autoencoder, encoder };
}

// Threshold at the 99th percentile of reconstruction errors on normal data.
export function anomalyThreshold(autoencoder, normalData) {
  return tf.tidy(() => {
    const err = autoencoder.predict(normalData).sub(normalData).square().mean(1);
    const sorted = Array.from(err.dataSync()).sort((a, b) => a - b);
    return sorted[Math.floor(0.99 * (sorted.length - 1))];
  });
}

export function isAnomaly(autoencoder, x, threshold) {
  return tf.tidy(() => autoencoder.predict(x).sub(x).square().mean(1).greater(threshold).dataSync());
}
