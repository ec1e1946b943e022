// Neural spline flow (Durkan et al. 2019) for tabular data: rational-quadratic spline couplings with linear
// tails. Inside [-B, B] each transformed coordinate goes through a monotone RQ spline of K bins: bin widths and
// heights are a softmax with a floor, knot derivatives softplus(h) + MIN_DERIVATIVE, boundary derivatives 1;
// outside [-B, B] the coupling is the identity. A learned elementwise standardisation comes first.
import * as tf from '@tensorflow/tfjs';

const K = 8;
const B = 3;
const MIN_BIN = 1e-3;
const MIN_DERIVATIVE = 1e-3;

const pick = (t: tf.Tensor, oneHot: tf.Tensor) => tf.sum(tf.mul(t, oneHot), -1);
const firstK = (t: tf.Tensor, from = 0) => t.slice([0, 0, from], [-1, -1, K]);

/** Bin sizes (>= MIN_BIN * 2B, summing to 2B) and the K + 1 knot positions from -B to B. */
function knots(raw: tf.Tensor): { cum: tf.Tensor; size: tf.Tensor } {
  const p = tf.add(tf.mul(tf.softmax(raw, -1), 1 - MIN_BIN * K), MIN_BIN);
  const zero = tf.zerosLike(p.slice([0, 0, 0], [-1, -1, 1]));
  const cum = tf.sub(tf.mul(tf.concat([zero, tf.cumsum(p, -1)], -1), 2 * B), B);
  return { cum, size: tf.mul(p, 2 * B) };
}

function rqSpline(v: tf.Tensor, rawW: tf.Tensor, rawH: tf.Tensor, rawD: tf.Tensor, inverse: boolean) {
  return tf.tidy(() => {
    const inside = tf.lessEqual(tf.abs(v), B);
    const vc = tf.clipByValue(v, -B, B);
    const w = knots(rawW);
    const h = knots(rawH);
    const d = tf.pad(tf.add(tf.softplus(rawD), MIN_DERIVATIVE), [[0, 0], [0, 0], [1, 1]], 1);
    const edges = (inverse ? h.cum : w.cum).slice([0, 0, 1], [-1, -1, K - 1]);
    const idx = tf.sum(tf.cast(tf.greaterEqual(vc.expandDims(-1), edges), 'int32'), -1);
    const oh = tf.oneHot(idx, K);
    const [xk, wk, yk, hk] = [pick(firstK(w.cum), oh), pick(w.size, oh), pick(firstK(h.cum), oh), pick(h.size, oh)];
    const [dk, dk1] = [pick(firstK(d), oh), pick(firstK(d, 1), oh)];
    const s = tf.div(hk, wk);
    const slopeSum = tf.sub(tf.add(dk1, dk), tf.mul(2, s));

    let theta: tf.Tensor;
    if (!inverse) {
      theta = tf.div(tf.sub(vc, xk), wk);
    } else {
      // a theta^2 + b theta + c = 0, the root in [0, 1] (Durkan et al., eqs. 6-8)
      const dy = tf.sub(vc, yk);
      const a = tf.add(tf.mul(hk, tf.sub(s, dk)), tf.mul(dy, slopeSum));
      const b = tf.sub(tf.mul(hk, dk), tf.mul(dy, slopeSum));
      const c = tf.mul(tf.neg(s), dy);
      const disc = tf.sub(tf.mul(b, b), tf.mul(4, tf.mul(a, c)));
      theta = tf.div(tf.mul(2, c), tf.sub(tf.neg(b), tf.sqrt(disc)));
    }
    const t1 = tf.mul(theta, tf.sub(1, theta));
    const denom = tf.add(s, tf.mul(slopeSum, t1));
    const num = tf.mul(hk, tf.add(tf.mul(s, tf.mul(theta, theta)), tf.mul(dk, t1)));
    const out = inverse ? tf.add(xk, tf.mul(theta, wk)) : tf.add(yk, tf.div(num, denom));
    const om = tf.sub(1, theta);
    const dNum = tf.add(tf.add(tf.mul(dk1, tf.mul(theta, theta)), tf.mul(tf.mul(2, s), t1)), tf.mul(dk, tf.mul(om, om)));
    const logDeriv = tf.sub(tf.log(tf.mul(tf.mul(s, s), dNum)), tf.mul(2, tf.log(denom)));
    const logAbsDet = tf.where(inside, inverse ? tf.neg(logDeriv) : logDeriv, tf.zerosLike(v));
    return { out: tf.where(inside, out, v), logAbsDet: tf.sum(logAbsDet, -1) };
  });
}

/** y = (x - shift) / exp(logScale): a learned per-dimension standardisation. */
class ElementwiseAffine {
  shift: tf.Variable;
  logScale: tf.Variable;
  constructor(dim: number) {
    this.shift = tf.variable(tf.zeros([dim]));
    this.logScale = tf.variable(tf.zeros([dim]));
  }
  private scale() {
    return tf.exp(this.logScale); // expect: unbounded-inverse-gain@hint
  }
  forward(x: tf.Tensor) {
    return { out: tf.div(tf.sub(x, this.shift), this.scale()), logAbsDet: tf.neg(tf.sum(this.logScale)) };
  }
  inverse(y: tf.Tensor) {
    return { out: tf.add(tf.mul(y, this.scale()), this.shift), logAbsDet: tf.sum(this.logScale) };
  }
}

class RQSplineCoupling {
  private net: tf.Sequential;
  constructor(private half: number, private flip: boolean, hidden = 128) {
    this.net = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [half], units: hidden, activation: 'relu' }),
        tf.layers.dense({ units: hidden, activation: 'relu' }),
        tf.layers.dense({ units: half * (3 * K - 1), kernelInitializer: 'zeros' }),
      ],
    });
  }
  private halves(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const [a, b] = tf.split(x, 2, -1);
    return this.flip ? [b, a] : [a, b];
  }
  private join(x1: tf.Tensor, x2: tf.Tensor) {
    return this.flip ? tf.concat([x2, x1], -1) : tf.concat([x1, x2], -1);
  }
  private params(x1: tf.Tensor) {
    const raw = tf.reshape(this.net.apply(x1) as tf.Tensor, [-1, this.half, 3 * K - 1]);
    return tf.split(raw, [K, K, K - 1], -1);
  }
  forward(x: tf.Tensor) {
    const [x1, x2] = this.halves(x);
    const [rawW, rawH, rawD] = this.params(x1);
    const { out, logAbsDet } = rqSpline(x2, rawW, rawH, rawD, false);
    return { out: this.join(x1, out), logAbsDet };
  }
  inverse(y: tf.Tensor) {
    const [y1, y2] = this.halves(y);
    const [rawW, rawH, rawD] = this.params(y1);
    const { out, logAbsDet } = rqSpline(y2, rawW, rawH, rawD, true);
    return { out: this.join(y1, out), logAbsDet };
  }
}

export class NeuralSplineFlow {
  private steps: (ElementwiseAffine | RQSplineCoupling)[];
  constructor(private dim: number, numCouplings = 6) {
    this.steps = [new ElementwiseAffine(dim)];
    for (let i = 0; i < numCouplings; i++) this.steps.push(new RQSplineCoupling(dim / 2, i % 2 === 1));
  }
  logProb(x: tf.Tensor): tf.Tensor {
    let logDet: tf.Tensor = tf.zeros([x.shape[0]]);
    let z = x;
    for (const step of this.steps) {
      const r = step.forward(z);
      z = r.out;
      logDet = tf.add(logDet, r.logAbsDet);
    }
    const base = tf.mul(-0.5, tf.add(tf.sum(tf.square(z), -1), this.dim * Math.log(2 * Math.PI)));
    return tf.add(base, logDet);
  }
  sample(n: number): tf.Tensor {
    let x = tf.randomNormal([n, this.dim]);
    for (const step of [...this.steps].reverse()) x = step.inverse(x).out;
    return x;
  }
}

export function fit(flow: NeuralSplineFlow, data: tf.Tensor2D, steps = 5000, batch = 256) {
  const opt = tf.train.adam(5e-4);
  for (let i = 0; i < steps; i++) {
    const idx = tf.randomUniform([batch], 0, data.shape[0], 'int32');
    const x = tf.gather(data, idx);
    const loss = opt.minimize(() => tf.neg(tf.mean(flow.logProb(x))) as tf.Scalar, true);
    if (i % 500 === 0) console.log(`step ${i}: nll ${loss?.dataSync()[0].toFixed(3)}`);
    tf.dispose([idx, x, loss]);
  }
}
