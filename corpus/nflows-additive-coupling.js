// Port of nflows' AdditiveCouplingTransform (scale fixed to 1, shift from the transform net) together with
// RandomPermutation and a standard-normal base, CommonJS as in a Node training script.
const tf = require('@tensorflow/tfjs');

function createTransformNet(inFeatures, outFeatures) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 128, inputShape: [inFeatures], activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: outFeatures, kernelInitializer: 'zeros', biasInitializer: 'zeros' }),
    ],
  });
}

class AdditiveCouplingTransform {
  constructor(mask) {
    this.identityIdx = [];
    this.transformIdx = [];
    mask.forEach((m, i) => (m > 0 ? this.transformIdx : this.identityIdx).push(i));
    this.net = createTransformNet(this.identityIdx.length, this.transformIdx.length);
  }

  _merge(idPart, trPart) {
    const order = this.identityIdx.concat(this.transformIdx);
    return tf.gather(tf.concat([idPart, trPart], 1), order.map((_, i) => order.indexOf(i)), 1);
  }

  forward(inputs) {
    const idPart = tf.gather(inputs, this.identityIdx, 1);
    const shift = this.net.apply(idPart);
    const out = tf.gather(inputs, this.transformIdx, 1).add(shift);
    return { outputs: this._merge(idPart, out), logabsdet: tf.zeros([inputs.shape[0]]) };
  }

  inverse(inputs) {
    const idPart = tf.gather(inputs, this.identityIdx, 1);
    const shift = this.net.apply(idPart);
    const out = tf.gather(inputs, this.transformIdx, 1).sub(shift);
    return { outputs: this._merge(idPart, out), logabsdet: tf.zeros([inputs.shape[0]]) };
  }
}

class RandomPermutation {
  constructor(features, seed = 0) {
    const idx = Array.from({ length: features }, (_, i) => i);
    let s = seed + 7;
    for (let i = features - 1; i > 0; i--) {
      s = (s * 9301 + 49297) % 233280;
      const j = Math.floor((s / 233280) * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    this.perm = idx;
    this.inv = idx.map((_, i) => idx.indexOf(i));
  }
  forward(x) {
    return { outputs: tf.gather(x, this.perm, 1), logabsdet: tf.zeros([x.shape[0]]) };
  }
  inverse(y) {
    return { outputs: tf.gather(y, this.inv, 1), logabsdet: tf.zeros([y.shape[0]]) };
  }
}

class Flow {
  constructor(transforms, features) {
    this.transforms = transforms;
    this.features = features;
  }
  logProb(x) {
    return tf.tidy(() => {
      let z = x;
      let total = tf.zeros([x.shape[0]]);
      for (const t of this.transforms) {
        const { outputs, logabsdet } = t.forward(z);
        z = outputs;
        total = total.add(logabsdet);
      }
      const base = z.square().sum(1).mul(-0.5).sub(0.5 * this.features * Math.log(2 * Math.PI));
      return base.add(total);
    });
  }
  sample(n) {
    return tf.tidy(() => this.transforms.reduceRight((y, t) => t.inverse(y).outputs, tf.randomNormal([n, this.features])));
  }
}

function createFlow(features = 4, numLayers = 6) {
  const transforms = [];
  for (let i = 0; i < numLayers; i++) {
    const mask = Array.from({ length: features }, (_, j) => ((j + i) % 2 === 0 ? 1 : 0));
    transforms.push(new AdditiveCouplingTransform(mask));
    transforms.push(new RandomPermutation(features, i));
  }
  return new Flow(transforms, features);
}

module.exports = { createFlow, AdditiveCouplingTransform };
