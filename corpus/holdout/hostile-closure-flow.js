// A RealNVP-style flow for 8-D tabular data written with closures: each make*() factory returns
// { forward, inverse } functions over its own state, masks live under computed keys, options are read with
// optional chaining, and the flow is assembled once the backend and the data statistics are ready
// (Promise.all(...).then). Steps: masked affine couplings, leaky-ReLU and a learned positive per-dimension gain.
import * as tf from '@tensorflow/tfjs';

const { layers: L } = tf;
const DIM = 8;
const SIDE = { EVEN: 'even', ODD: 'odd' };

const masks = {
  [SIDE.EVEN]: tf.tensor1d(Array.from({ length: DIM }, (_, i) => (i % 2 === 0 ? 1 : 0))),
  [SIDE.ODD]: tf.tensor1d(Array.from({ length: DIM }, (_, i) => (i % 2 === 1 ? 1 : 0))),
};

function conditioner(hidden) {
  return tf.sequential({
    layers: [
      L.dense({ inputShape: [DIM], units: hidden, activation: 'relu' }),
      L.dense({ units: hidden, activation: 'relu' }),
      L.dense({ units: 2 * DIM, kernelInitializer: 'zeros' }),
    ],
  });
}

export function makeCoupling(side, opts) {
  const mask = masks[side];
  const free = tf.sub(1, mask);
  const net = conditioner(opts?.hidden ?? 64);
  const scaleShift = (x) => {
    const [h, t] = tf.split(net.apply(tf.mul(x, mask)), 2, -1);
    const s = opts?.clamp ? h.clipByValue(-opts.clamp, opts.clamp).exp() : h.exp(); // expect: unbounded-coupling-scale@warning
    return { s: s.mul(free).add(mask), t: t.mul(free) };
  };
  return {
    forward: (x) => {
      const { s, t } = scaleShift(x);
      return { y: x.mul(s).add(t), logDet: s.log().sum(-1) };
    },
    inverse: (y) => {
      const { s, t } = scaleShift(y);
      return y.sub(t).div(s);
    },
    trainable: () => net.trainableWeights,
  };
}

function makeLeaky(alpha = 0.2) {
  const act = L.leakyReLU({ alpha });
  return {
    forward: (x) => ({ y: act.apply(x), logDet: tf.sum(tf.log(tf.where(x.greaterEqual(0), tf.onesLike(x), tf.fill(x.shape, alpha))), -1) }),
    inverse: (y) => tf.where(y.greaterEqual(0), y, y.div(alpha)),
  };
}

function makeGain(dim) {
  const raw = tf.variable(tf.zeros([dim]), true, `gain_${dim}_${Math.random().toString(36).slice(2, 7)}`);
  const gain = () => tf.softplus(raw); // expect: unbounded-inverse-gain@hint
  return {
    forward: (x) => ({ y: x.mul(gain()), logDet: gain().log().sum() }),
    inverse: (y) => y.div(gain()),
  };
}

async function loadStats(url) {
  const res = await fetch(url);
  return res.ok ? res.json() : null;
}

export const flowReady = Promise.all([tf.ready(), loadStats('/data/stats.json')]).then(([, stats]) => {
  const steps = [];
  for (let i = 0; i < 6; i++) {
    steps.push(makeCoupling(i % 2 ? SIDE.ODD : SIDE.EVEN, { hidden: stats?.hidden ?? 64 }));
    if (i < 5) steps.push(makeLeaky(), makeGain(DIM));
  }
  const normalise = (x) => (stats?.mean ? x.sub(stats.mean).div(stats.std) : x);
  return {
    steps,
    logProb(x) {
      let z = normalise(x);
      let logDet = tf.zeros([x.shape[0]]);
      for (const step of steps) {
        const { y, logDet: ld } = step.forward(z);
        z = y;
        logDet = logDet.add(ld);
      }
      return z.square().sum(-1).add(DIM * Math.log(2 * Math.PI)).mul(-0.5).add(logDet);
    },
    sample(n) {
      return steps.reduceRight((y, step) => step.inverse(y), tf.randomNormal([n, DIM]));
    },
  };
});

flowReady.then(async (flow) => {
  const data = tf.randomNormal([4096, DIM]);
  const opt = tf.train.adam(1e-3);
  for (let it = 0; it < 2000; it++) {
    const batch = tf.gather(data, tf.randomUniform([256], 0, 4096, 'int32'));
    const loss = opt.minimize(() => flow.logProb(batch).mean().neg(), true);
    if (it % 200 === 0) console.log(it, (await loss.data())[0]);
    tf.dispose([batch, loss]);
  }
  console.log('samples', flow.sample(4).arraySync());
});
