// Port of FrEIA's NICECouplingBlock: additive, volume preserving, y1 = x1 + F(x2), y2 = x2 + G(y1).
// F and G are only ever evaluated, never inverted: the inverse subtracts them again.
import * as tf from '@tensorflow/tfjs';

export interface NiceArgs {
  dims: number;
  hidden?: number;
  inputShape?: number[];
}

function subnet(inDim: number, outDim: number, hidden: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: hidden, activation: 'relu', inputShape: [inDim] }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: hidden, activation: 'relu' }),
      tf.layers.dense({ units: outDim }),
    ],
  });
}

export class NICECouplingBlock extends tf.layers.Layer {
  static className = 'NICECouplingBlock';
  private readonly len1: number;
  private readonly len2: number;
  private readonly F: tf.Sequential;
  private readonly G: tf.Sequential;

  constructor(args: NiceArgs) {
    super(args.inputShape ? { inputShape: args.inputShape } : {});
    const hidden = args.hidden ?? 128;
    this.len1 = Math.floor(args.dims / 2);
    this.len2 = args.dims - this.len1;
    this.F = subnet(this.len2, this.len1, hidden);
    this.G = subnet(this.len1, this.len2, hidden);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [x1, x2] = tf.split(x, [this.len1, this.len2], -1);
      const y1 = tf.add(x1!, this.F.apply(x2!) as tf.Tensor);
      const y2 = tf.add(x2!, this.G.apply(y1) as tf.Tensor);
      return tf.concat([y1, y2], -1);
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = tf.split(y, [this.len1, this.len2], -1);
      const x2 = tf.sub(y2!, this.G.apply(y1!) as tf.Tensor);
      const x1 = tf.sub(y1!, this.F.apply(x2) as tf.Tensor);
      return tf.concat([x1, x2], -1);
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor {
    return tf.zeros([x.shape[0]!]);
  }
}
tf.serialization.registerClass(NICECouplingBlock);

class ReverseFeatures extends tf.layers.Layer {
  static className = 'ReverseFeatures';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.reverse(Array.isArray(inputs) ? inputs[0]! : inputs, -1);
  }
  inverse(y: tf.Tensor): tf.Tensor {
    return tf.reverse(y, -1);
  }
}
tf.serialization.registerClass(ReverseFeatures);

// An INN for 16-dimensional tabular data. The dropout between the blocks was added while chasing overfitting.
export function buildNiceInn(dims = 16): tf.Sequential {
  const inn = tf.sequential();
  inn.add(new NICECouplingBlock({ dims, inputShape: [dims] }));
  inn.add(new ReverseFeatures({}));
  inn.add(new NICECouplingBlock({ dims }));
  inn.add(tf.layers.dropout({ rate: 0.05 })); // expect: non-invertible-op-in-flow@error
  inn.add(new ReverseFeatures({}));
  inn.add(new NICECouplingBlock({ dims }));
  return inn;
}

export async function trainStep(inn: tf.Sequential, batch: tf.Tensor2D, opt: tf.Optimizer): Promise<number> {
  const loss = opt.minimize(() => {
    const z = inn.apply(batch, { training: true }) as tf.Tensor;
    return tf.mean(tf.mul(0.5, tf.sum(tf.square(z), -1))) as tf.Scalar;
  }, true);
  const value = (await loss!.data())[0]!;
  loss!.dispose();
  return value;
}
