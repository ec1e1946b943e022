// NICE (Dinh, Krueger & Bengio 2015) on MNIST, as a browser script: tfjs comes from a <script> tag, so `tf` is a
// global. Four additive couplings with 5-layer ReLU MLPs (1000 units) and alternating even/odd partitions, then
// NICE's diagonal scaling layer exp(s) with one learned s per pixel, and the logistic prior.
/* global tf */

const DIM = 784;
const HIDDEN = 1000;

class NiceCoupling extends tf.layers.Layer {
  constructor(config) {
    super(config);
    this.evenFirst = config.evenFirst;
    this.idxA = [];
    this.idxB = [];
    for (let i = 0; i < DIM; i++) ((i % 2 === 0) === this.evenFirst ? this.idxA : this.idxB).push(i);
    this.m = tf.sequential();
    this.m.add(tf.layers.dense({ units: HIDDEN, activation: 'relu', inputShape: [this.idxA.length] }));
    for (let l = 0; l < 3; l++) this.m.add(tf.layers.dense({ units: HIDDEN, activation: 'relu' }));
    this.m.add(tf.layers.dense({ units: this.idxB.length }));
  }

  static get className() {
    return 'NiceCoupling';
  }

  recombine(a, b) {
    const order = this.idxA.concat(this.idxB);
    return tf.gather(tf.concat([a, b], 1), order.map((_, i) => order.indexOf(i)), 1);
  }

  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const a = tf.gather(x, this.idxA, 1);
    const b = tf.gather(x, this.idxB, 1);
    return this.recombine(a, b.add(this.m.apply(a)));
  }

  inverse(y) {
    const a = tf.gather(y, this.idxA, 1);
    const b = tf.gather(y, this.idxB, 1);
    return this.recombine(a, b.sub(this.m.apply(a)));
  }
}
tf.serialization.registerClass(NiceCoupling);

class NiceScaling extends tf.layers.Layer {
  static get className() {
    return 'NiceScaling';
  }
  build() {
    this.s = this.addWeight('log_scale', [1, DIM], 'float32', tf.initializers.zeros());
  }
  scale() {
    return tf.exp(this.s.read()); // expect: unbounded-inverse-gain@hint
  }
  call(inputs) {
    return (Array.isArray(inputs) ? inputs[0] : inputs).mul(this.scale());
  }
  inverse(y) {
    return y.div(this.scale());
  }
  logDet() {
    return this.s.read().sum();
  }
}
tf.serialization.registerClass(NiceScaling);

const nice = tf.sequential({
  layers: [
    new NiceCoupling({ evenFirst: true, inputShape: [DIM] }),
    new NiceCoupling({ evenFirst: false }),
    new NiceCoupling({ evenFirst: true }),
    new NiceCoupling({ evenFirst: false }),
    new NiceScaling({}),
  ],
});

// log p(x) under the standard logistic prior: -sum(log(1 + e^h) + log(1 + e^-h)) + sum(s).
function logLikelihood(x) {
  return tf.tidy(() => {
    const h = nice.apply(x);
    const prior = tf.softplus(h).add(tf.softplus(h.neg())).sum(1).neg();
    return prior.add(nice.layers[4].logDet());
  });
}

const optimizer = tf.train.adam(1e-3, 0.9, 0.01, 1e-4);
async function trainBatch(batch) {
  const cost = optimizer.minimize(() => logLikelihood(batch).mean().neg(), true);
  document.getElementById('loss').textContent = (await cost.data())[0].toFixed(2);
  cost.dispose();
}
window.trainBatch = trainBatch;
