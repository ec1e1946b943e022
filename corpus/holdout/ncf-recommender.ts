// Neural collaborative filtering (He et al. 2017, NeuMF): a GMF branch (element-wise product of user and item
// embeddings) and an MLP branch (a tower over concatenated embeddings), fused by a sigmoid output. Trained on
// implicit feedback with four sampled negatives per positive.
import * as tf from '@tensorflow/tfjs';

interface NcfConfig {
  numUsers: number;
  numItems: number;
  gmfDim?: number;
  mlpLayers?: number[];
}

export function buildNeuMF({ numUsers, numItems, gmfDim = 16, mlpLayers = [64, 32, 16] }: NcfConfig): tf.LayersModel {
  const user = tf.input({ shape: [1], dtype: 'int32', name: 'user' });
  const item = tf.input({ shape: [1], dtype: 'int32', name: 'item' });
  const flat = (t: tf.SymbolicTensor) => tf.layers.flatten().apply(t) as tf.SymbolicTensor;

  const gmfUser = tf.layers.embedding({ inputDim: numUsers, outputDim: gmfDim, name: 'gmf_user' }); // expect: missing-lipschitz-constraint@info
  const gmfItem = tf.layers.embedding({ inputDim: numItems, outputDim: gmfDim, name: 'gmf_item' }); // expect: missing-lipschitz-constraint@info
  const gmf = tf.layers.multiply().apply([flat(gmfUser.apply(user) as tf.SymbolicTensor), flat(gmfItem.apply(item) as tf.SymbolicTensor)]);

  const half = mlpLayers[0] / 2;
  const mlpUser = tf.layers.embedding({ inputDim: numUsers, outputDim: half, embeddingsRegularizer: tf.regularizers.l2({ l2: 1e-6 }) }); // expect: missing-lipschitz-constraint@info
  const mlpItem = tf.layers.embedding({ inputDim: numItems, outputDim: half, embeddingsRegularizer: tf.regularizers.l2({ l2: 1e-6 }) }); // expect: missing-lipschitz-constraint@info
  let tower = tf.layers.concatenate().apply([flat(mlpUser.apply(user) as tf.SymbolicTensor), flat(mlpItem.apply(item) as tf.SymbolicTensor)]) as tf.SymbolicTensor;
  for (const units of mlpLayers.slice(1)) {
    tower = tf.layers.dense({ units, activation: 'relu' }).apply(tower) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  }

  const fused = tf.layers.concatenate().apply([gmf as tf.SymbolicTensor, tower]);
  const score = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'leCunUniform', name: 'prediction' }).apply(fused) as tf.SymbolicTensor; // expect: missing-lipschitz-constraint@info
  return tf.model({ inputs: [user, item], outputs: score, name: 'neumf' });
}

function sampleNegatives(pairs: [number, number][], numItems: number, k: number) {
  const seen = new Set(pairs.map(([u, i]) => `${u}:${i}`));
  const users: number[] = [];
  const items: number[] = [];
  const labels: number[] = [];
  for (const [u, i] of pairs) {
    users.push(u);
    items.push(i);
    labels.push(1);
    for (let n = 0; n < k; n++) {
      let j = Math.floor(Math.random() * numItems);
      while (seen.has(`${u}:${j}`)) j = Math.floor(Math.random() * numItems);
      users.push(u);
      items.push(j);
      labels.push(0);
    }
  }
  return { users, items, labels };
}

export async function fitNeuMF(model: tf.LayersModel, pairs: [number, number][], numItems: number, epochs = 10) {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  for (let e = 0; e < epochs; e++) {
    const { users, items, labels } = sampleNegatives(pairs, numItems, 4);
    const u = tf.tensor2d(users, [users.length, 1], 'int32');
    const i = tf.tensor2d(items, [items.length, 1], 'int32');
    const y = tf.tensor2d(labels, [labels.length, 1]);
    const h = await model.fit([u, i], y, { batchSize: 256, epochs: 1, shuffle: true });
    console.log(`epoch ${e}: loss ${(h.history.loss[0] as number).toFixed(4)}`);
    tf.dispose([u, i, y]);
  }
}
