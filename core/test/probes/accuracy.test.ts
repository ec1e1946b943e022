import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import { Flow } from '../../src/layers/flow';
import { toProbeTarget } from '../../src/probes/adapt';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeSettings } from '../../src/probes/probe';
import { Rng } from '../../src/probes/rng';
import type { ProbeResult } from '../../src/report/schema';
import { linearTarget, withSingularValues } from './helpers';

const spectrum = [8, 4, 3, 2, 1.5, 1.2, 1, 0.8, 0.6, 0.4, 0.3, 0.25];

function fig(r: ProbeResult | undefined, id: string): number {
  const f = r?.figures.find((x) => x.id === id);
  assert.ok(f !== undefined, `figure ${id} missing`);
  return f.value ?? NaN;
}

async function run(
  target: Parameters<typeof runProbes>[0],
  probes: Parameters<typeof runProbes>[2]['probes'],
  settings: Partial<ProbeSettings> = {},
) {
  const data = tf.tensor2d(new Rng(7).normals(4 * target.inputShape[0]!), [4, target.inputShape[0]!]);
  const res = await runProbes(target, data, { tf, probes, seed: 1, deadline: Date.now() + 60_000, settings });
  data.dispose();
  return res;
}

describe('probe accuracy against analytic truth', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const method of ['power', 'lanczos'] as const) {
    it(`${method}: forward and inverse constants of U S V^T within 1%`, async () => {
      const target = linearTarget(withSingularValues(spectrum));
      const [fwd, inv] = await run(target, ['forward-lipschitz', 'inverse-lipschitz'], {
        method,
        maxIter: 200,
        tol: 1e-6,
        pairSteps: 5,
      });
      assert.equal(fwd!.status, 'ok');
      const sigma = fig(fwd, 'sigma-max');
      assert.ok(Math.abs(sigma - 8) / 8 < 0.01, `forward ${sigma}`);
      // Pairs can never beat the global constant of a linear map.
      assert.ok(fig(fwd, 'pair-max') <= 8 * 1.01);
      const inverse = fig(inv, 'inverse-lipschitz');
      assert.ok(Math.abs(inverse - 4) / 4 < 0.01, `inverse ${inverse}`);
    });
  }

  it('without an inverse, 1 / sigma_min of the forward Jacobian within 1%', async () => {
    const { inverse: _dropped, ...forwardOnly } = linearTarget(withSingularValues(spectrum, 4));
    const [inv] = await run(forwardOnly, ['inverse-lipschitz'], { tol: 1e-6 });
    const inverse = fig(inv, 'inverse-lipschitz');
    assert.ok(Math.abs(inverse - 4) / 4 < 0.01, `inverse ${inverse}`);
    assert.match(inv!.notes.join(' '), /1 \/ sigma_min/);
  });

  it('a map into fewer dimensions has an infinite inverse constant, said plainly', async () => {
    const wide = tf.randomNormal([6, 3], 0, 1, 'float32', 5) as tf.Tensor2D;
    const squash = {
      name: 'squash',
      inputShape: [6],
      forward: (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, wide),
    };
    const [inv] = await run(squash, ['inverse-lipschitz']);
    const f = inv!.figures.find((x) => x.id === 'inverse-lipschitz')!;
    assert.equal(f.value, null);
    assert.equal(f.nonFinite, 'inf');
    assert.match(inv!.notes.join(' '), /maps 6 dimensions to 3: it is not injective/);
    wide.dispose();
  });

  it('a diagonal map: condition number and log-det match exactly', async () => {
    const diag = [5, 2, 1, 0.5, 0.1];
    const a = diag.map((s, i) => diag.map((_, j) => (i === j ? s : 0)));
    const [cond, ld] = await run(linearTarget(a), ['condition', 'logdet']);
    assert.ok(Math.abs(fig(cond, 'condition') - 50) / 50 < 1e-3);
    assert.ok(fig(ld, 'max-error') < 1e-5);
  });

  it('an i-ResNet block never measures above 1 + c', async () => {
    const c = 0.7;
    const blocks = [1, 2].map(
      (seed) => new InvertibleResidual({ hiddenUnits: [16], coeff: c, seed, name: `res${seed}` }),
    );
    const flow = new Flow(blocks);
    const data = tf.tensor2d(new Rng(2).normals(6 * 6, 3), [6, 6]);
    flow.forward(data).dispose();
    const [fwd] = await runProbes(toProbeTarget(tf, flow, 'iresnet', [6]), data, {
      tf,
      probes: ['forward-lipschitz'],
      seed: 3,
      deadline: Date.now() + 60_000,
      settings: { tol: 1e-5, maxIter: 60, pairSteps: 10 },
    });
    data.dispose();
    const table = fwd!.tables.find((t) => t.id === 'blocks')!;
    assert.equal(table.rows.length, 2);
    for (const row of table.rows) assert.ok(Number(row[1]) <= (1 + c) * 1.001, `${row[0]}: ${row[1]}`);
    assert.ok(fig(fwd, 'sigma-max') <= (1 + c) ** 2 * 1.001);
    assert.ok(fig(fwd, 'pair-max') <= (1 + c) ** 2 * 1.001);
  });
});
