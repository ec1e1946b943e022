/**
 * Issue 12, item 7: a Jacobian-vector product runs both finite-difference sides in one call of the map (2n rows),
 * and gives what two calls of n rows give, and J v from the explicit Jacobian within its error.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { explicitJacobian, jacobianAt } from '../../src/probes/jacobian';
import { emptyPasses, type Tensor2D } from '../../src/probes/target';

describe('batched Jacobian-vector products', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('equal two separate passes to the bit, and the explicit Jacobian times v, in one call', () => {
    const [n, d, k] = [5, 6, 4];
    const w = tf.randomNormal([d, k], 0, 1, 'float32', 11) as Tensor2D;
    let calls = 0;
    let rows = 0;
    const f = (x: Tensor2D): Tensor2D => {
      calls++;
      rows += x.shape[0];
      return tf.tanh(tf.matMul(tf.sin(x), w)) as Tensor2D;
    };
    const x = tf.randomNormal([n, d], 0, 1, 'float32', 12) as Tensor2D;
    const v = tf.randomNormal([n, d], 0, 1, 'float32', 13) as Tensor2D;
    const passes = emptyPasses();
    const fdStep = 5e-3;
    const jac = jacobianAt(tf, f, x, k, passes, { fdStep });
    calls = 0;
    rows = 0;
    const batched = jac.jvp(v);
    assert.equal(calls, 1);
    assert.equal(rows, 2 * n);
    // The same central difference with one call per side.
    const separate = tf.tidy(() => {
      const h = tf.mul(tf.maximum(tf.sqrt(tf.mean(tf.square(x), 1, true)), 1), fdStep);
      const hv = tf.mul(v, h);
      return tf.div(tf.sub(f(tf.add(x, hv) as Tensor2D), f(tf.sub(x, hv) as Tensor2D)), tf.mul(h, 2));
    });
    assert.deepEqual(batched.arraySync(), separate.arraySync());
    // Against the exact product, row by row: finite differences are off by O(h^2) curvature plus rounding.
    const got = batched.arraySync();
    for (let i = 0; i < n; i++) {
      const point = x.slice([i, 0], [1, d]) as Tensor2D;
      const j = explicitJacobian(tf, f, point, k, passes);
      const vi = v.slice([i, 0], [1, d]).dataSync();
      for (let r = 0; r < k; r++) {
        let exact = 0;
        for (let c = 0; c < d; c++) exact += j.data[r * d + c]! * vi[c]!;
        assert.ok(
          Math.abs(got[i]![r]! - exact) < 1e-3 * Math.max(1, Math.abs(exact)),
          `${got[i]![r]} vs ${exact}`,
        );
      }
      point.dispose();
    }
    tf.dispose([w, x, v, batched, separate]);
  });
});
