// A small transformer encoder (Vaswani et al. 2017) for intent classification: token + learned position
// embeddings, multi-head self-attention and a feed-forward block, each wrapped as x + sublayer(x) followed by
// layer norm (post-LN), mean pooling over tokens, softmax head.
import * as tf from '@tensorflow/tfjs';

type Sym = tf.SymbolicTensor;

const VOCAB = 8000;
const MAX_LEN = 64;
const D_MODEL = 128;
const NUM_HEADS = 4;
const D_FF = 256;

/** softmax(Q K^T / sqrt(d)) V over NUM_HEADS heads; holds no weights (the projections are dense layers). */
class ScaledDotProductAttention extends tf.layers.Layer {
  static className = 'ScaledDotProductAttention';
  constructor(private readonly numHeads: number) {
    super({});
  }
  computeOutputShape(shapes: tf.Shape[]): tf.Shape {
    return shapes[0];
  }
  call(inputs: tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [q, k, v] = inputs as tf.Tensor3D[];
      const [b, t, d] = q.shape;
      const dh = d / this.numHeads;
      const heads = (x: tf.Tensor3D) => tf.transpose(tf.reshape(x, [b, t, this.numHeads, dh]), [0, 2, 1, 3]);
      const scores = tf.div(tf.matMul(heads(q), heads(k), false, true), Math.sqrt(dh));
      const weights = tf.softmax(scores, -1);
      const ctx = tf.transpose(tf.matMul(weights, heads(v)), [0, 2, 1, 3]);
      return tf.reshape(ctx, [b, t, d]);
    });
  }
}
tf.serialization.registerClass(ScaledDotProductAttention);

function encoderBlock(x: Sym, name: string): Sym {
  const q = tf.layers.dense({ units: D_MODEL, name: `${name}_q` }).apply(x) as Sym; // expect: missing-lipschitz-constraint@info
  const k = tf.layers.dense({ units: D_MODEL, name: `${name}_k` }).apply(x) as Sym; // expect: missing-lipschitz-constraint@info
  const v = tf.layers.dense({ units: D_MODEL, name: `${name}_v` }).apply(x) as Sym; // expect: missing-lipschitz-constraint@info
  const attn = new ScaledDotProductAttention(NUM_HEADS).apply([q, k, v]) as Sym;
  const proj = tf.layers.dense({ units: D_MODEL, name: `${name}_o` }).apply(attn) as Sym; // expect: missing-lipschitz-constraint@info
  const drop1 = tf.layers.dropout({ rate: 0.1 }).apply(proj) as Sym;
  const h = tf.layers.layerNormalization({ epsilon: 1e-6 }).apply(tf.layers.add().apply([x, drop1])) as Sym;

  const ff1 = tf.layers.dense({ units: D_FF, activation: 'relu', name: `${name}_ff1` }).apply(h) as Sym; // expect: missing-lipschitz-constraint@info
  const ff2 = tf.layers.dense({ units: D_MODEL, name: `${name}_ff2` }).apply(ff1) as Sym; // expect: missing-lipschitz-constraint@info
  const drop2 = tf.layers.dropout({ rate: 0.1 }).apply(ff2) as Sym;
  return tf.layers.layerNormalization({ epsilon: 1e-6 }).apply(tf.layers.add().apply([h, drop2])) as Sym;
}

export function buildIntentClassifier(numIntents: number, numLayers = 2): tf.LayersModel {
  const tokens = tf.input({ shape: [MAX_LEN], dtype: 'int32', name: 'tokens' });
  const positions = tf.input({ shape: [MAX_LEN], dtype: 'int32', name: 'positions' });
  const tokEmb = tf.layers.embedding({ inputDim: VOCAB, outputDim: D_MODEL, maskZero: false }).apply(tokens) as Sym; // expect: missing-lipschitz-constraint@info
  const posEmb = tf.layers.embedding({ inputDim: MAX_LEN, outputDim: D_MODEL }).apply(positions) as Sym; // expect: missing-lipschitz-constraint@info
  let x = tf.layers.add().apply([tokEmb, posEmb]) as Sym;
  for (let i = 0; i < numLayers; i++) x = encoderBlock(x, `enc${i}`);
  const pooled = tf.layers.globalAveragePooling1d({}).apply(x) as Sym;
  const probs = tf.layers.dense({ units: numIntents, activation: 'softmax' }).apply(pooled) as Sym; // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: [tokens, positions], outputs: probs });
}

export async function fitIntents(model: tf.LayersModel, ids: tf.Tensor2D, labels: tf.Tensor2D) {
  const n = ids.shape[0];
  const pos = tf.tile(tf.range(0, MAX_LEN, 1, 'int32').expandDims(0), [n, 1]);
  // warm-up then constant learning rate, Adam with the paper's betas
  const optimizer = tf.train.adam(1e-4, 0.9, 0.98, 1e-9);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit([ids, pos], labels, { batchSize: 32, epochs: 10, validationSplit: 0.1 });
  pos.dispose();
}
