// A VAE for MNIST in the style of the tfjs-examples vae: encoder -> (z_mean, z_log_var), a sampling layer with the
// reparameterisation z = mean + exp(0.5 * log_var) * eps, decoder -> pixels. The exp here is not a Lipschitz
// problem: nothing is inverted and no bound is asked for.
import * as tf from '@tensorflow/tfjs';

const ORIGINAL_DIM = 784;
const INTERMEDIATE_DIM = 512;
const LATENT_DIM = 2;

class ZLayer extends tf.layers.Layer {
  static className = 'ZLayer';
  override computeOutputShape(inputShape: tf.Shape[]): tf.Shape {
    return inputShape[0]!;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [zMean, zLogVar] = inputs as tf.Tensor[];
    return tf.tidy(() => {
      const epsilon = tf.randomNormal(zMean!.shape);
      return tf.add(zMean!, tf.mul(tf.exp(tf.mul(0.5, zLogVar!)), epsilon));
    });
  }
}
tf.serialization.registerClass(ZLayer);

export function encoder(): tf.LayersModel {
  const inputs = tf.input({ shape: [ORIGINAL_DIM], name: 'encoder_input' });
  const x = tf.layers.dense({ units: INTERMEDIATE_DIM, activation: 'relu' }).apply(inputs) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  const zMean = tf.layers.dense({ units: LATENT_DIM, name: 'z_mean' }).apply(x) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  const zLogVar = tf.layers.dense({ units: LATENT_DIM, name: 'z_log_var' }).apply(x) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  const z = new ZLayer({ name: 'z' }).apply([zMean, zLogVar]) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: [zMean, zLogVar, z], name: 'encoder' });
}

export function decoder(): tf.LayersModel {
  const latent = tf.input({ shape: [LATENT_DIM], name: 'z_sampling' });
  const x = tf.layers.dense({ units: INTERMEDIATE_DIM, activation: 'relu' }).apply(latent) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  const out = tf.layers.dense({ units: ORIGINAL_DIM, activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: latent, outputs: out, name: 'decoder' });
}

export function vaeLoss(inputs: tf.Tensor, outputs: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    const [decoderOutput, zMean, zLogVar] = outputs as [tf.Tensor, tf.Tensor, tf.Tensor];
    const reconstruction = tf.mul(tf.metrics.binaryCrossentropy(inputs, decoderOutput), ORIGINAL_DIM);
    let kl = tf.sub(tf.add(1, zLogVar), tf.add(tf.square(zMean), tf.exp(zLogVar)));
    kl = tf.mul(-0.5, tf.sum(kl, -1));
    return tf.mean(tf.add(reconstruction, kl)) as tf.Scalar;
  });
}

export async function trainVae(images: tf.Tensor2D, epochs = 10, batchSize = 128): Promise<void> {
  const enc = encoder();
  const dec = decoder();
  const optimizer = tf.train.adam(1e-3);
  const n = images.shape[0];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i + batchSize <= n; i += batchSize) {
      const batch = images.slice([i, 0], [batchSize, ORIGINAL_DIM]);
      optimizer.minimize(() => {
        const [zMean, zLogVar, z] = enc.apply(batch) as tf.Tensor[];
        const recon = dec.apply(z!) as tf.Tensor;
        return vaeLoss(batch, [recon, zMean!, zLogVar!]);
      });
      batch.dispose();
      await tf.nextFrame();
    }
  }
}
