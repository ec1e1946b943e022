// Multi-task image models in a "clever" style: destructured namespace alias, a class expression, heads chosen
// through computed property names, configs merged with Object.assign, optional chaining, and both models built
// inside Promise.all(...).then(...). An ordinary classifier and an ordinary regressor sharing a trunk design.
import * as tf from '@tensorflow/tfjs';

const { layers: L, train: T } = tf;

const TASK = Object.freeze({ CLS: 'classify', REG: 'regress' });
const DEFAULTS = { width: 32, dropout: 0.25, lr: 1e-3 };

const heads = {
  [TASK.CLS]: (n) => L.dense({ units: n, activation: 'softmax', name: `${TASK.CLS}_head` }), // expect: missing-lipschitz-constraint@info
  [TASK.REG]: () => L.dense({ units: 1, name: `${TASK.REG}_head` }), // expect: missing-lipschitz-constraint@info
  [`${TASK.REG}_aux`]: () => L.dense({ units: 4, activation: 'linear' }), // expect: missing-lipschitz-constraint@info
};

const Trunk = class {
  constructor(opts) {
    this.width = opts?.width ?? DEFAULTS.width;
    this.dropout = opts?.dropout ?? DEFAULTS.dropout;
  }

  layers(inputShape) {
    return [
      L.conv2d({ inputShape, filters: this.width, kernelSize: 3, activation: 'relu' }), // expect: missing-lipschitz-constraint@info
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: this.width * 2, kernelSize: 3, activation: 'relu' }), // expect: missing-lipschitz-constraint@info
      L.globalMaxPooling2d({}),
      L.dropout({ rate: this.dropout }),
    ];
  }
};

async function loadLabels(url) {
  const res = await fetch(url ?? '/labels.json');
  return res.ok ? res.json() : ['cat', 'dog'];
}

export function buildModels(opts) {
  const cfg = Object.assign({}, DEFAULTS, opts);
  return Promise.all([tf.ready(), loadLabels(cfg?.labelsUrl)]).then(([, labels]) => {
    const classifier = tf.sequential(
      Object.assign({ name: 'classifier' }, { layers: [...new Trunk(cfg).layers([64, 64, 3]), heads[TASK.CLS](labels.length)] }),
    );
    const regressor = tf.sequential({ name: 'regressor' });
    for (const layer of new Trunk({ ...cfg, width: cfg.width / 2 }).layers([64, 64, 3])) regressor.add(layer);
    regressor.add(cfg.aux ? heads[`${TASK.REG}_aux`]() : heads[TASK.REG]());

    const compileArgs = { optimizer: T.adam(cfg.lr), metrics: ['accuracy'] };
    classifier.compile(Object.assign({}, compileArgs, { loss: 'categoricalCrossentropy' }));
    regressor.compile(Object.assign({}, compileArgs, { loss: 'meanSquaredError', metrics: [] }));
    return { classifier, regressor, labels };
  });
}

export async function fitBoth(data, opts) {
  const { classifier, regressor } = await buildModels(opts);
  const fitArgs = Object.assign({ epochs: 15, batchSize: 32 }, opts?.fit);
  await classifier.fit(data.images, data.onehot, fitArgs);
  await regressor.fit(data.images, data.targets, { ...fitArgs, validationSplit: 0.2 });
  return [classifier, regressor].map((m) => m?.name);
}
