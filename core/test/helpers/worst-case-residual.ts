/**
 * The slowest fixed-point inverse an i-ResNet block can have: one spectrally normalised map (hiddenUnits []) whose
 * raw kernel is 5 R, R a random rotation, so the normalised kernel is a rotation scaled to just under `coeff`:
 * every direction contracts by the same factor, none faster.
 */
import * as tf from '@tensorflow/tfjs';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import { SeededRandom } from '../../src/layers/seeded-random';
import { randomRotation } from '../../src/linalg/matrix64';

export function worstCaseResidualBlock(o: {
  dim: number;
  coeff: number;
  name?: string;
  inverseTolerance?: number;
}): InvertibleResidual {
  const layer = new InvertibleResidual({
    ...(o.name !== undefined ? { name: o.name } : {}),
    hiddenUnits: [],
    coeff: o.coeff,
    seed: 1,
    inverseTolerance: o.inverseTolerance,
  });
  layer.build([null, o.dim]);
  const rotation = randomRotation(o.dim, new SeededRandom(9));
  const [, , u] = layer.getWeights();
  const kernel = tf.tensor2d(
    Array.from(rotation.data, (v) => 5 * v),
    [o.dim, o.dim],
  );
  const bias = tf.tensor1d(Array.from(new SeededRandom(10).normalArray(o.dim)));
  layer.setWeights([kernel, bias, u!]);
  tf.dispose([kernel, bias]);
  return layer;
}
