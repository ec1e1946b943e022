// RevNet (Gomez et al. 2017) reversible residual block for CIFAR: the channels are split in two and
//   y1 = x1 + F(x2),   y2 = x2 + G(y1)
// with F and G the usual BN-ReLU-Conv-BN-ReLU-Conv stacks. The block is inverted exactly by
//   x2 = y2 - G(y1),   x1 = y1 - F(x2)
// so F and G are only evaluated, never inverted, and need no Lipschitz bound. The reversible trunk is its own model
// (the memory-saving gradient recomputes its activations from the outputs); stem and head are separate models.
import * as tf from '@tensorflow/tfjs';

function residualFn(channels: number, inputShape: number[]): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.batchNormalization({ inputShape }),
      tf.layers.reLU(),
      tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same', useBias: false }),
    ],
  });
}

export class RevBlock extends tf.layers.Layer {
  static className = 'RevBlock';
  private readonly f: tf.Sequential;
  private readonly g: tf.Sequential;

  constructor(private readonly channels: number, spatial: number, config: { inputShape?: number[] } = {}) {
    super(config);
    const half = [spatial, spatial, channels / 2];
    this.f = residualFn(channels / 2, half);
    this.g = residualFn(channels / 2, half);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => {
      const [x1, x2] = tf.split(x, 2, -1);
      const y1 = tf.add(x1!, this.f.apply(x2!, kwargs) as tf.Tensor);
      const y2 = tf.add(x2!, this.g.apply(y1, kwargs) as tf.Tensor);
      return tf.concat([y1, y2], -1);
    });
  }

  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [y1, y2] = tf.split(y, 2, -1);
      const x2 = tf.sub(y2!, this.g.apply(y1!) as tf.Tensor);
      const x1 = tf.sub(y1!, this.f.apply(x2) as tf.Tensor);
      return tf.concat([x1, x2], -1);
    });
  }

  override getConfig() {
    return { ...super.getConfig(), channels: this.channels };
  }
}
tf.serialization.registerClass(RevBlock);

const CHANNELS = 64;

export const stem = tf.sequential({
  layers: [tf.layers.conv2d({ filters: CHANNELS, kernelSize: 3, padding: 'same', inputShape: [32, 32, 3] })], // expect: missing-lipschitz-constraint@info
});

export const trunk = tf.sequential({
  layers: [
    new RevBlock(CHANNELS, 32, { inputShape: [32, 32, CHANNELS] }),
    new RevBlock(CHANNELS, 32),
    new RevBlock(CHANNELS, 32),
    new RevBlock(CHANNELS, 32),
  ],
});

export const head = tf.sequential({
  layers: [
    tf.layers.batchNormalization({ inputShape: [32, 32, CHANNELS] }),
    tf.layers.reLU(),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: 10, activation: 'softmax' }), // expect: missing-lipschitz-constraint@info
  ],
});

export function classify(images: tf.Tensor4D): tf.Tensor {
  return tf.tidy(() => head.apply(trunk.apply(stem.apply(images))) as tf.Tensor);
}
