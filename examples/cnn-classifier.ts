// A small CNN built with model.add(), through an aliased named import.
import { layers as L, sequential } from '@tensorflow/tfjs';

const filters = [16, 32];

export function buildCnn() {
  const model = sequential();
  model.add(L.conv2d({ inputShape: [28, 28, 1], filters: filters[0], kernelSize: 3, activation: 'relu' })); // expect: missing-lipschitz-constraint
  model.add(L.maxPooling2d({ poolSize: 2 }));
  model.add(L.conv2d({ filters: filters[1], kernelSize: 3, activation: 'relu' })); // expect: missing-lipschitz-constraint
  model.add(L.maxPooling2d({ poolSize: 2 }));
  model.add(L.flatten());
  model.add(L.dense({ units: 10, activation: 'softmax' })); // expect: missing-lipschitz-constraint
  return model;
}
