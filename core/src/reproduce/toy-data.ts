/**
 * The reproduction's data set: 8-D points made of four independent pairs (a, b), each a sine curve over two
 * clusters: a ~ N(+-2, 0.5^2), b = 1.5 sin(1.5 a) +- 1 + N(0, 0.1^2). Non-Gaussian and curved, so a flow's
 * scales must vary with the conditioning half to fit it, the regime in which Behrmann et al. (2021) saw affine
 * couplings lose their inverse; small enough to train in seconds.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../probes/rng';

export const TOY_DIM = 8;

export const TOY_DESCRIPTION =
  '8-D: four independent pairs (a, b), a ~ N(+-2, 0.5^2), b = 1.5 sin(1.5 a) +- 1 + N(0, 0.1^2), cluster signs uniform';

export function toyData(n: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  const values = new Float32Array(n * TOY_DIM);
  for (let i = 0; i < n; i++) {
    const cluster = Math.floor(rng.next() * 4);
    for (let j = 0; j < TOY_DIM; j += 2) {
      const [u, v] = rng.normals(2);
      const a = 0.5 * u! + (cluster & 1 ? 2 : -2);
      values[i * TOY_DIM + j] = a;
      values[i * TOY_DIM + j + 1] = 1.5 * Math.sin(1.5 * a) + (cluster & 2 ? 1 : -1) + 0.1 * v!;
    }
  }
  return tf.tensor2d(values, [n, TOY_DIM]);
}
