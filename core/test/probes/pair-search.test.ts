/**
 * Issue 12, item 7: the pair search runs both ends of its pairs in one call of the map, reads each step's ratios
 * from its gradient pass, and still climbs towards the Lipschitz constant of a linear map, never past it.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { pairSearch } from '../../src/probes/pair-search';
import { Rng } from '../../src/probes/rng';
import { emptyPasses, type FlatMaps, type ProbeContext, type Tensor2D } from '../../src/probes/target';
import { withSingularValues } from './helpers';

describe('pair search', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('one call per step (both ends of every pair), ratios within the largest singular value', async () => {
    const sigmas = [3, 1, 0.5, 0.25];
    const a = tf.tensor2d(withSingularValues(sigmas, 4));
    const rowsPerCall: number[] = [];
    const maps: FlatMaps = {
      dIn: 4,
      outputShape: [4],
      forward: (x) => {
        rowsPerCall.push(x.shape[0]);
        return tf.matMul(x, a, false, true) as Tensor2D;
      },
    };
    const ctx: ProbeContext = {
      tf,
      rng: new Rng(5),
      deadline: Date.now() + 60_000,
      progress: () => undefined,
      passes: emptyPasses(),
      at: (_place, f) => f(),
    };
    const n = 6;
    const x = tf.randomNormal([n, 4], 0, 1, 'float32', 6) as Tensor2D;
    const steps = 10;
    const result = await pairSearch(ctx, maps, x, steps);
    // 2n pairs (local and global), both ends in one call: 4n rows; one call per gradient step and one at the end.
    assert.deepEqual(rowsPerCall, Array<number>(steps + 1).fill(4 * n));
    assert.equal(result.steps, steps);
    assert.equal(result.ratios.length, 2 * n);
    assert.ok(result.max <= sigmas[0]! * (1 + 1e-5), String(result.max));
    assert.ok(result.max > 0.9 * sigmas[0]!, String(result.max));
    tf.dispose([a, x]);
  });
});
