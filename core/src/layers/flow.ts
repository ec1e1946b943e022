import * as tf from '@tensorflow/tfjs';
import { type Invertible, type InverseReport, isInvertible } from './invertible';
import type { Kwargs } from './layer-util';

/** A tfjs layer that is also {@link Invertible}. */
export type InvertibleLayer = Invertible & tf.layers.Layer;

/** A block that supports data-dependent initialisation (ActNorm). */
interface DataInitialized {
  initialize(x: tf.Tensor): void;
}

function hasInitialize(layer: unknown): layer is DataInitialized {
  return typeof (layer as Partial<DataInitialized>).initialize === 'function';
}

/**
 * A normalising flow: invertible blocks applied in order. Not itself a tfjs layer, so it can hold
 * blocks of any kind; `toModel` wraps them in a functional tf.LayersModel for saving, and
 * `Flow.fromModel` recovers the blocks of a loaded model so it can be inverted.
 */
export class Flow implements Invertible {
  constructor(readonly blocks: readonly InvertibleLayer[]) {
    blocks.forEach((b, i) => {
      if (!isInvertible(b))
        throw new Error(`Flow: block ${i} (${String((b as { name?: unknown }).name)}) is not invertible`);
    });
  }

  forward(x: tf.Tensor, kwargs: Kwargs = {}): tf.Tensor {
    return tf.tidy(() => this.blocks.reduce<tf.Tensor>((h, b) => b.apply(h, kwargs) as tf.Tensor, x));
  }

  /** Undoes the blocks in reverse order. */
  inverse(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.blocks.reduceRight<tf.Tensor>((h, b) => b.inverse(h), y));
  }

  /** Output and the summed per-block log|det|, each block's term taken at the input it sees. */
  forwardWithLogDet(x: tf.Tensor, kwargs: Kwargs = {}): { y: tf.Tensor; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      let h = x;
      let logDet: tf.Tensor1D = tf.zeros([x.shape[0]!]);
      for (const b of this.blocks) {
        // Apply first so a data-initialised block's log-det reflects the initialised weights.
        const next = b.apply(h, kwargs) as tf.Tensor;
        logDet = tf.add(logDet, b.logDetJacobian(h));
        h = next;
      }
      return { y: h, logDet };
    });
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => this.forwardWithLogDet(x).logDet);
  }

  /** Products of the block bounds (Lipschitz constants compose multiplicatively). */
  lipschitzBounds(): { forward: number; inverse: number } {
    return this.blocks.reduce(
      (acc, b) => {
        const { forward, inverse } = b.lipschitzBounds();
        return { forward: acc.forward * forward, inverse: acc.inverse * inverse };
      },
      { forward: 1, inverse: 1 },
    );
  }

  /** Data-dependent initialisation: each block that supports it (ActNorm) is initialised on its own input. */
  initialize(x: tf.Tensor): void {
    let h = tf.clone(x);
    for (const b of this.blocks) {
      if (hasInitialize(b)) b.initialize(h);
      const next = b.apply(h) as tf.Tensor;
      h.dispose();
      h = next;
    }
    h.dispose();
  }

  /** Convergence reports of the blocks whose inverse is iterative (e.g. the i-ResNet block). */
  inverseReports(): { layer: string; report: InverseReport }[] {
    return this.blocks.flatMap((b) =>
      b.lastInverseReport === undefined ? [] : [{ layer: b.name, report: b.lastInverseReport() }],
    );
  }

  /** A functional tf.LayersModel over `inputShape` (without the batch axis) sharing this flow's blocks. */
  toModel(inputShape: number[], name?: string): tf.LayersModel {
    const input = tf.input({ shape: inputShape });
    const output = this.blocks.reduce<tf.SymbolicTensor>((h, b) => b.apply(h) as tf.SymbolicTensor, input);
    return tf.model({ inputs: input, outputs: output, ...(name === undefined ? {} : { name }) });
  }

  /** The invertible layers of a (loaded) model, in topological order. */
  static fromModel(model: tf.LayersModel): Flow {
    return new Flow(model.layers.filter(isInvertible));
  }
}
