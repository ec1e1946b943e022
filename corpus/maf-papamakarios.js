// MAF as in Papamakarios et al. (2017) and their original code: each MADE gives a mean m and a log-precision
// logp per feature, u = (x - m) * exp(0.5 * logp), and batch normalisation between the MADE layers.
// Half-typed browser-era JS with ES modules.
import * as tf from '@tensorflow/tfjs';

const D = 6;
const HIDDEN = [100, 100];

function degrees(n, d) {
  return Array.from({ length: n }, (_, k) => (k % (d - 1)) + 1);
}

function maskedLayer(nIn, nOut, mask, activation) {
  // Weights as plain variables; the mask is applied to the kernel before every product.
  const W = tf.variable(tf.randomNormal([nIn, nOut], 0, 1 / Math.sqrt(nIn + 1)));
  const b = tf.variable(tf.zeros([nOut]));
  return (h) => {
    const a = tf.matMul(h, W.mul(mask)).add(b);
    return activation === 'relu' ? tf.relu(a) : a;
  };
}

function createMade(order) {
  const input = order.map((o) => o + 1);
  const hidden = HIDDEN.map((h) => degrees(h, D));
  const masks = [];
  let prev = input;
  for (const h of hidden) {
    masks.push(tf.tensor2d(prev.map((a) => h.map((b) => (b >= a ? 1 : 0)))));
    prev = h;
  }
  masks.push(tf.tensor2d(prev.map((a) => input.map((b) => (b > a ? 1 : 0)))));
  const sizes = [D, ...HIDDEN];
  return {
    hiddenLayers: HIDDEN.map((h, i) => maskedLayer(sizes[i], h, masks[i], 'relu')),
    meanLayer: maskedLayer(HIDDEN[HIDDEN.length - 1], D, masks[HIDDEN.length], 'linear'),
    logpLayer: maskedLayer(HIDDEN[HIDDEN.length - 1], D, masks[HIDDEN.length], 'linear'),
  };
}

// m and the per-feature scale exp(0.5 * logp); both directions go through here.
function madeParams(made, x) {
  let h = x;
  for (const layer of made.hiddenLayers) h = layer(h);
  const m = made.meanLayer(h);
  const logp = made.logpLayer(h);
  const scale = tf.exp(logp.mul(0.5)); // expect: unbounded-coupling-scale@warning
  return { m, logp, scale };
}

function madeForward(made, x) {
  const { m, logp, scale } = madeParams(made, x);
  return { u: x.sub(m).mul(scale), logdet: logp.mul(0.5).sum(1) };
}

function madeInverse(made, u) {
  let x = tf.zerosLike(u);
  for (let i = 0; i < D; i++) {
    const { m, scale } = madeParams(made, x);
    x = m.add(u.div(scale));
  }
  return x;
}

export function createMaf(nMades = 5) {
  const stages = [];
  for (let k = 0; k < nMades; k++) {
    const order = Array.from({ length: D }, (_, i) => (k % 2 === 0 ? i : D - 1 - i));
    stages.push({ kind: 'made', made: createMade(order) });
    stages.push({ kind: 'bn', layer: tf.layers.batchNormalization({ momentum: 0.95, epsilon: 1e-5 }) }); // expect: batchnorm-in-invertible@error
  }
  return {
    stages,
    forward(x, training = true) {
      let u = x;
      let logdet = tf.zeros([x.shape[0]]);
      for (const s of stages) {
        if (s.kind === 'made') {
          const out = madeForward(s.made, u);
          u = out.u;
          logdet = logdet.add(out.logdet);
        } else {
          u = s.layer.apply(u, { training });
        }
      }
      return { u, logdet };
    },
    inverse(u) {
      return stages.reduceRight((x, s) => (s.kind === 'made' ? madeInverse(s.made, x) : x), u);
    },
  };
}

export function negLogLikelihood(maf, x) {
  const { u, logdet } = maf.forward(x);
  return tf.mean(u.square().sum(1).mul(0.5).add(0.5 * D * Math.log(2 * Math.PI)).sub(logdet));
}
