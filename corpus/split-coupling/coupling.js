// An affine coupling in the density direction, as some normalizing-flow libraries write it: the forward pass maps
// data to latent, z2 = (x2 - shift) / scale, and sampling multiplies back. The scale is softplus of the net output.
const tf = require('@tensorflow/tfjs');
const { makeMlp, makeResMlp } = require('./nets');

class SoftplusCoupling extends tf.layers.Layer {
  constructor(config) {
    super(config);
    this.dim = config.dim;
    this.swap = Boolean(config.swap);
    this.d1 = Math.floor(this.dim / 2);
    this.d2 = this.dim - this.d1;
    this.net = config.residual ? makeResMlp(this.d1, 2 * this.d2) : makeMlp(this.d1, 2 * this.d2, { dropout: 0.1 });
  }

  static get className() {
    return 'SoftplusCoupling';
  }

  split(x) {
    const [a, b] = tf.split(x, [this.d1, this.d2], -1);
    return this.swap ? [b, a] : [a, b];
  }

  scaleAndShift(cond) {
    const [raw, shift] = tf.split(this.net.apply(cond), 2, -1);
    const scale = tf.softplus(raw); // expect: unbounded-coupling-scale@warning
    return { scale, shift };
  }

  call(inputs) {
    return tf.tidy(() => {
      const [x1, x2] = this.split(Array.isArray(inputs) ? inputs[0] : inputs);
      const { scale, shift } = this.scaleAndShift(x1);
      const z2 = x2.sub(shift).div(scale);
      return this.swap ? tf.concat([z2, x1], -1) : tf.concat([x1, z2], -1);
    });
  }

  inverse(z) {
    return tf.tidy(() => {
      const [z1, z2] = this.split(z);
      const { scale, shift } = this.scaleAndShift(z1);
      const x2 = z2.mul(scale).add(shift);
      return this.swap ? tf.concat([x2, z1], -1) : tf.concat([z1, x2], -1);
    });
  }

  logDetJacobian(x) {
    return tf.tidy(() => {
      const [x1] = this.split(x);
      return this.scaleAndShift(x1).scale.log().sum(-1).neg();
    });
  }
}
tf.serialization.registerClass(SoftplusCoupling);

module.exports = { SoftplusCoupling };
