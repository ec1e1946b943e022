// TF.js port of the AffineHalfFlow / NormalizingFlow pair from karpathy/pytorch-normalizing-flows (RealNVP-style):
// one half of the dimensions is scaled by exp(s) and shifted by t, both MLPs of the other half; `parity` swaps
// the halves. The scale is the raw exp of the MLP output. CommonJS, half-typed.
const tf = require('@tensorflow/tfjs');

class MLP {
  constructor(nin, nout, nh) {
    this.net = tf.sequential();
    this.net.add(tf.layers.dense({ inputShape: [nin], units: nh }));
    this.net.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    this.net.add(tf.layers.dense({ units: nh }));
    this.net.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    this.net.add(tf.layers.dense({ units: nh }));
    this.net.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    this.net.add(tf.layers.dense({ units: nout }));
  }
  apply(x) {
    return this.net.apply(x);
  }
}

class AffineHalfFlow {
  constructor(dim, parity, nh = 24, scale = true, shift = true) {
    this.dim = dim;
    this.parity = parity;
    const half = Math.floor(dim / 2);
    this.sCond = scale ? new MLP(half, half, nh) : null;
    this.tCond = shift ? new MLP(half, half, nh) : null;
  }

  split(x) {
    const half = Math.floor(this.dim / 2);
    const [x0, x1] = tf.split(x, [half, this.dim - half], 1);
    return this.parity ? [x1, x0] : [x0, x1];
  }

  join(a, b) {
    return this.parity ? tf.concat([b, a], 1) : tf.concat([a, b], 1);
  }

  params(x0) {
    const s = this.sCond ? this.sCond.apply(x0) : tf.zerosLike(x0);
    const t = this.tCond ? this.tCond.apply(x0) : tf.zerosLike(x0);
    return { s, t, scale: s.exp() }; // expect: unbounded-coupling-scale@warning
  }

  forward(x) {
    const [x0, x1] = this.split(x);
    const { s, t, scale } = this.params(x0);
    const z1 = x1.mul(scale).add(t);
    return { z: this.join(x0, z1), logDet: s.sum(1) };
  }

  backward(z) {
    const [z0, z1] = this.split(z);
    const { s, t, scale } = this.params(z0);
    const x1 = z1.sub(t).div(scale);
    return { x: this.join(z0, x1), logDet: s.sum(1).neg() };
  }
}

class NormalizingFlow {
  constructor(flows) {
    this.flows = flows;
  }
  forward(x) {
    let logDet = tf.zeros([x.shape[0]]);
    const zs = [x];
    for (const flow of this.flows) {
      const { z, logDet: ld } = flow.forward(zs[zs.length - 1]);
      logDet = logDet.add(ld);
      zs.push(z);
    }
    return { zs, logDet };
  }
  backward(z) {
    let x = z;
    for (const flow of [...this.flows].reverse()) x = flow.backward(x).x;
    return x;
  }
}

function makeRealNvp(dim = 2, nLayers = 9) {
  return new NormalizingFlow(Array.from({ length: nLayers }, (_, i) => new AffineHalfFlow(dim, i % 2, 24)));
}

function step(model, x, optimizer) {
  return optimizer.minimize(() => {
    const { zs, logDet } = model.forward(x);
    const z = zs[zs.length - 1];
    const priorLogProb = z.square().sum(1).mul(-0.5).sub(Math.log(2 * Math.PI));
    return priorLogProb.add(logDet).mean().neg();
  }, true);
}

module.exports = { makeRealNvp, step, AffineHalfFlow };
