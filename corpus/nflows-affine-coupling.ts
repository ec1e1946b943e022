// Port of nflows' AffineCouplingTransform (nflows/transforms/coupling.py) with its usual transform net, the
// ResidualNet of nflows/nn/nets/resnet.py (residual blocks with batch norm inside the conditioner).
// The scale is nflows' own: sigmoid(unconstrained_scale + 2) + 1e-3, so 1/scale <= 1000.
import * as tf from '@tensorflow/tfjs';

interface ResidualNetArgs {
  inFeatures: number;
  outFeatures: number;
  hiddenFeatures: number;
  numBlocks?: number;
  useBatchNorm?: boolean;
}

/** nflows ResidualNet: initial linear, residual blocks x + block(x), final linear. */
function residualNet({ inFeatures, outFeatures, hiddenFeatures, numBlocks = 2, useBatchNorm = true }: ResidualNetArgs) {
  const input = tf.input({ shape: [inFeatures] });
  let h = tf.layers.dense({ units: hiddenFeatures }).apply(input) as tf.SymbolicTensor;
  for (let b = 0; b < numBlocks; b++) {
    let t = h;
    if (useBatchNorm) t = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.reLU().apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: hiddenFeatures }).apply(t) as tf.SymbolicTensor;
    if (useBatchNorm) t = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.reLU().apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: hiddenFeatures, kernelInitializer: 'zeros' }).apply(t) as tf.SymbolicTensor;
    h = tf.layers.add().apply([h, t]) as tf.SymbolicTensor;
  }
  const out = tf.layers.dense({ units: outFeatures }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

export class AffineCouplingTransform {
  private readonly identity: number[];
  private readonly transform: number[];
  private readonly transformNet: tf.LayersModel;
  private readonly scaleActivation = (u: tf.Tensor) => tf.add(tf.sigmoid(tf.add(u, 2)), 1e-3);

  constructor(mask: number[], hiddenFeatures = 64) {
    this.identity = mask.flatMap((m, i) => (m <= 0 ? [i] : []));
    this.transform = mask.flatMap((m, i) => (m > 0 ? [i] : []));
    this.transformNet = residualNet({
      inFeatures: this.identity.length,
      outFeatures: this.transform.length * 2,
      hiddenFeatures,
    });
  }

  private scaleAndShift(identitySplit: tf.Tensor): { scale: tf.Tensor; shift: tf.Tensor } {
    const params = this.transformNet.apply(identitySplit) as tf.Tensor;
    const [unconstrainedScale, shift] = tf.split(params, 2, -1);
    return { scale: this.scaleActivation(unconstrainedScale!), shift: shift! };
  }

  private merge(idPart: tf.Tensor, trPart: tf.Tensor): tf.Tensor {
    const order = [...this.identity, ...this.transform];
    const inv = order.map((_, i) => order.indexOf(i));
    return tf.gather(tf.concat([idPart, trPart], -1), inv, -1);
  }

  forward(inputs: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    return tf.tidy(() => {
      const idPart = tf.gather(inputs, this.identity, 1);
      const { scale, shift } = this.scaleAndShift(idPart);
      const out = tf.add(tf.mul(tf.gather(inputs, this.transform, 1), scale), shift);
      return [this.merge(idPart, out), tf.sum(tf.log(scale), -1)];
    });
  }

  inverse(inputs: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    return tf.tidy(() => {
      const idPart = tf.gather(inputs, this.identity, 1);
      const { scale, shift } = this.scaleAndShift(idPart);
      const out = tf.div(tf.sub(tf.gather(inputs, this.transform, 1), shift), scale);
      return [this.merge(idPart, out), tf.neg(tf.sum(tf.log(scale), -1))];
    });
  }
}

export class CompositeTransform {
  constructor(private readonly transforms: AffineCouplingTransform[]) {}
  forward(x: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    let logabsdet: tf.Tensor = tf.zeros([x.shape[0]]);
    let z: tf.Tensor = x;
    for (const t of this.transforms) {
      const [out, lad] = t.forward(z as tf.Tensor2D);
      z = out;
      logabsdet = tf.add(logabsdet, lad);
    }
    return [z, logabsdet];
  }
  inverse(z: tf.Tensor2D): tf.Tensor {
    return this.transforms.reduceRight<tf.Tensor>((y, t) => t.inverse(y as tf.Tensor2D)[0], z);
  }
}

// Alternating masks over 8 features, as create_alternating_binary_mask does.
const alternating = (n: number, even: boolean) => Array.from({ length: n }, (_, i) => ((i % 2 === 0) === even ? 1 : -1));
export const flow = new CompositeTransform([0, 1, 2, 3].map((k) => new AffineCouplingTransform(alternating(8, k % 2 === 0))));
