// A plain MLP classifier: no Lipschitz requirement, so unconstrained layers are only hints.
import { layers, sequential } from '@tensorflow/tfjs';

const base = { activation: 'relu' as const, kernelInitializer: 'heNormal' as const };

export const classifier = sequential({
  layers: [
    layers.dense({ ...base, units: 128, inputShape: [784] }), // expect: missing-lipschitz-constraint
    layers.dropout({ rate: 0.2 }),
    layers.dense({ ...base, units: 64 }), // expect: missing-lipschitz-constraint
    layers.dense({ units: 10, activation: 'softmax' }), // expect: missing-lipschitz-constraint
  ],
});
