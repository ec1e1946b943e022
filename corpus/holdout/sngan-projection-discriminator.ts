// Class-conditional SN-GAN discriminator with a projection head (Miyato et al. 2018; Miyato & Koyama 2018)
// for 32x32 images: ResNet-style down blocks of SpectralConv2D, a SpectralDense linear output, and the
// projection term <embed(y), phi(x)>. Trained with the hinge loss; the generator is passed in.
import * as tf from '@tensorflow/tfjs';
import { SpectralConv2D, SpectralDense } from 'lipschitz-lens';

type Sym = tf.SymbolicTensor;

const NUM_CLASSES = 10;
const CH = 128;

function downBlock(x: Sym, channels: number, first: boolean): Sym {
  let h = first ? x : (tf.layers.reLU().apply(x) as Sym);
  h = new SpectralConv2D({ filters: channels, kernelSize: 3, padding: 'same', coeff: 1 }).apply(h) as Sym;
  h = tf.layers.reLU().apply(h) as Sym;
  h = new SpectralConv2D({ filters: channels, kernelSize: 3, padding: 'same', coeff: 1 }).apply(h) as Sym;
  h = tf.layers.averagePooling2d({ poolSize: 2 }).apply(h) as Sym;
  let shortcut = new SpectralConv2D({ filters: channels, kernelSize: 1, coeff: 1 }).apply(x) as Sym;
  shortcut = tf.layers.averagePooling2d({ poolSize: 2 }).apply(shortcut) as Sym;
  return tf.layers.add().apply([h, shortcut]) as Sym;
}

export function buildProjectionDiscriminator(): tf.LayersModel {
  const image = tf.input({ shape: [32, 32, 3], name: 'image' });
  const label = tf.input({ shape: [1], dtype: 'int32', name: 'label' });

  let h = downBlock(image, CH, true);
  h = downBlock(h, CH, false);
  h = tf.layers.reLU().apply(h) as Sym;
  const phi = tf.layers.globalAveragePooling2d({}).apply(h) as Sym; // [batch, CH]

  const linear = new SpectralDense({ units: 1, coeff: 1 }).apply(phi) as Sym;
  const embed = tf.layers.embedding({ inputDim: NUM_CLASSES, outputDim: CH, name: 'class_embed' }).apply(label) as Sym; // expect: missing-lipschitz-constraint@warning
  const projection = tf.layers.dot({ axes: -1 }).apply([tf.layers.flatten().apply(embed) as Sym, phi]) as Sym;
  const logit = tf.layers.add().apply([linear, projection]) as Sym;
  return tf.model({ inputs: [image, label], outputs: logit, name: 'sngan_projection_d' });
}

const D = buildProjectionDiscriminator();
const dOpt = tf.train.adam(2e-4, 0.0, 0.9);
const gOpt = tf.train.adam(2e-4, 0.0, 0.9);

function dVars(): tf.Variable[] {
  return D.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Hinge loss: n_dis discriminator steps per generator step (n_dis = 5 in the paper). */
export function trainIteration(G: tf.LayersModel, realImages: tf.Tensor4D, realLabels: tf.Tensor2D, nDis = 5) {
  const n = realImages.shape[0];
  let dLoss = 0;
  for (let k = 0; k < nDis; k++) {
    const z = tf.randomNormal([n, 128]);
    const fakeLabels = tf.randomUniform([n, 1], 0, NUM_CLASSES, 'int32');
    const loss = dOpt.minimize(
      () => {
        const fake = G.apply([z, fakeLabels]) as tf.Tensor;
        const real = D.apply([realImages, realLabels], { training: true }) as tf.Tensor;
        const gen = D.apply([fake, fakeLabels], { training: true }) as tf.Tensor;
        return tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, gen)))) as tf.Scalar;
      },
      true,
      dVars(),
    )!;
    dLoss = loss.dataSync()[0];
    tf.dispose([z, fakeLabels, loss]);
  }
  const z = tf.randomNormal([n, 128]);
  const labels = tf.randomUniform([n, 1], 0, NUM_CLASSES, 'int32');
  const gLoss = gOpt.minimize(
    () => tf.neg(tf.mean(D.apply([G.apply([z, labels], { training: true }) as tf.Tensor, labels]) as tf.Tensor)) as tf.Scalar,
    true,
    G.trainableWeights.map((w) => w.read() as tf.Variable),
  )!;
  const out = { dLoss, gLoss: gLoss.dataSync()[0] };
  tf.dispose([z, labels, gLoss]);
  return out;
}
