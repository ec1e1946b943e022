// Port of the structure of FrEIA's AllInOneBlock: a learned global affine (softplus of a per-channel parameter,
// FrEIA's default 'SOFTPLUS' global_affine_type), a fixed soft permutation (random orthogonal matrix), then an
// affine coupling whose log-scale is clamp * tanh(0.1 * a).
import * as tf from '@tensorflow/tfjs';

function randomOrthogonal(n, seed) {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', seed);
  const [q] = tf.linalg.qr(a);
  return q;
}

export class AllInOneBlock extends tf.layers.Layer {
  constructor({ dims, subnetUnits = 256, affineClamping = 2.0, globalAffineInit = 1.0, seed = 0, ...rest }) {
    super(rest);
    this.dims = dims;
    this.len1 = dims - Math.floor(dims / 2);
    this.len2 = Math.floor(dims / 2);
    this.clamp = affineClamping;
    this.globalAffineInit = globalAffineInit;
    this.wPerm = randomOrthogonal(dims, seed);
    this.wPermInv = this.wPerm.transpose();
    this.subnet = tf.sequential({
      layers: [
        tf.layers.dense({ units: subnetUnits, activation: 'relu', inputShape: [this.len1] }),
        tf.layers.dense({ units: subnetUnits, activation: 'relu' }),
        tf.layers.dense({ units: 2 * this.len2, kernelInitializer: 'zeros' }),
      ],
    });
  }

  build() {
    // softplus(beta = 0.5) inverted at the requested initial scale, as FrEIA does
    const init = 2.0 * Math.log(Math.exp(0.5 * 10.0 * this.globalAffineInit) - 1);
    this.globalScale = this.addWeight('global_scale', [1, this.dims], 'float32', tf.initializers.constant({ value: init }));
    this.globalOffset = this.addWeight('global_offset', [1, this.dims], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  scale() {
    return tf.softplus(this.globalScale.read().mul(0.5)).mul(0.2); // expect: unbounded-inverse-gain@hint
  }

  affine(x, a, rev) {
    const a01 = a.mul(0.1);
    const [sRaw, t] = tf.split(a01, 2, -1);
    const subJac = tf.tanh(sRaw).mul(this.clamp);
    if (!rev) return [x.mul(subJac.exp()).add(t), subJac.sum(-1)];
    return [x.sub(t).mul(subJac.neg().exp()), subJac.sum(-1).neg()];
  }

  call(inputs) {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const xp = tf.matMul(x.mul(this.scale()).add(this.globalOffset.read()), this.wPerm);
      const [x1, x2] = tf.split(xp, [this.len1, this.len2], -1);
      const [y2] = this.affine(x2, this.subnet.apply(x1), false);
      return tf.concat([x1, y2], -1);
    });
  }

  inverse(y) {
    return tf.tidy(() => {
      const [y1, y2] = tf.split(y, [this.len1, this.len2], -1);
      const [x2] = this.affine(y2, this.subnet.apply(y1), true);
      const xp = tf.concat([y1, x2], -1);
      return tf.matMul(xp, this.wPermInv).sub(this.globalOffset.read()).div(this.scale());
    });
  }

  logDetJacobian(x) {
    return tf.tidy(() => {
      const xp = tf.matMul(x.mul(this.scale()).add(this.globalOffset.read()), this.wPerm);
      const [x1, x2] = tf.split(xp, [this.len1, this.len2], -1);
      const [, jac] = this.affine(x2, this.subnet.apply(x1), false);
      return jac.add(tf.log(this.scale()).sum());
    });
  }

  getConfig() {
    return { ...super.getConfig(), dims: this.dims, affineClamping: this.clamp, globalAffineInit: this.globalAffineInit };
  }

  static get className() {
    return 'AllInOneBlock';
  }
}
tf.serialization.registerClass(AllInOneBlock);

export function buildInn(dims, nBlocks = 12) {
  const layers = [];
  for (let i = 0; i < nBlocks; i++) {
    layers.push(new AllInOneBlock({ dims, seed: i, affineClamping: 2.0, ...(i === 0 && { inputShape: [dims] }) }));
  }
  return tf.sequential({ layers });
}
