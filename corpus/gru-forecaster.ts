// Temperature forecasting in the style of tfjs-examples/jena-weather: a GRU over a lookback window, wrapped in a
// class that creates its model lazily in build() and keeps it in a field.
import * as tf from '@tensorflow/tfjs';

export interface ForecasterOptions {
  lookBack: number;
  numFeatures: number;
  gruUnits?: number;
  dropout?: number;
}

export class WeatherForecaster {
  private model: tf.Sequential | null = null;
  private readonly opts: Required<ForecasterOptions>;

  constructor(opts: ForecasterOptions) {
    this.opts = { gruUnits: 32, dropout: 0.2, ...opts };
  }

  build(): tf.Sequential {
    const { lookBack, numFeatures, gruUnits, dropout } = this.opts;
    this.model = tf.sequential();
    this.model.add(tf.layers.gru({ units: gruUnits, inputShape: [lookBack, numFeatures], dropout, recurrentDropout: dropout })); // expect: missing-lipschitz-constraint@info
    this.model.add(tf.layers.dense({ units: 16, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
    this.model.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@info
    this.model.compile({ loss: 'meanAbsoluteError', optimizer: tf.train.rmsprop(1e-3) });
    return this.model;
  }

  async fit(train: tf.data.Dataset<tf.TensorContainer>, val: tf.data.Dataset<tf.TensorContainer>, epochs = 20): Promise<tf.History> {
    const model = this.model ?? this.build();
    return model.fitDataset(train, {
      epochs,
      validationData: val,
      callbacks: tf.callbacks.earlyStopping({ monitor: 'val_loss', patience: 3 }),
    });
  }

  /** Baseline used in the example: predict the last observed temperature. */
  static commonSenseMae(windows: tf.Tensor3D, targets: tf.Tensor1D, tempIndex: number): number {
    return tf.tidy(() => {
      const last = windows.slice([0, windows.shape[1] - 1, tempIndex], [-1, 1, 1]).reshape([-1]);
      return tf.mean(tf.abs(tf.sub(last, targets))).dataSync()[0]!;
    });
  }

  forecast(window: tf.Tensor3D): number {
    if (!this.model) throw new Error('call build() or fit() first');
    return tf.tidy(() => (this.model!.predict(window) as tf.Tensor).dataSync()[0]!);
  }
}
