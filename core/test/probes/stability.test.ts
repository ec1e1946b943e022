import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import { Flow, type InvertibleLayer } from '../../src/layers/flow';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import { Permutation } from '../../src/layers/permutation';
import { toProbeTarget } from '../../src/probes/adapt';
import { runProbes } from '../../src/probes/run-probes';
import { Rng } from '../../src/probes/rng';
import { buildReport } from '../../src/report/build';
import type { ProbeResult } from '../../src/report/schema';
import { testAudit } from '../report/audit-context';

const D = 8;

function flows(): Record<'affine' | 'additive' | 'iresnet', InvertibleLayer[]> {
  return {
    affine: [
      new AffineCoupling({ scale: 'exp', hiddenUnits: 16, zeroInit: false, seed: 1 }),
      new Permutation({ seed: 2 }),
      new AffineCoupling({ scale: 'exp', hiddenUnits: 16, zeroInit: false, seed: 3 }),
    ],
    additive: [
      new AdditiveCoupling({ hiddenUnits: 16, zeroInit: false, seed: 1 }),
      new Permutation({ seed: 2 }),
      new AdditiveCoupling({ hiddenUnits: 16, zeroInit: false, seed: 3 }),
    ],
    iresnet: [1, 2].map((seed) => new InvertibleResidual({ hiddenUnits: [16], coeff: 0.9, seed })),
  };
}

/** Max error per scale over the three input kinds (NaN -> Infinity: a broken inverse is the worst error). */
function errorByScale(r: ProbeResult): Map<number, number> {
  const curve = r.curves.find((c) => c.id === 'error-vs-scale')!;
  return new Map(curve.x.map((s, i) => [s, Math.max(...curve.series.map((se) => se.y[i] ?? Infinity))]));
}

describe('reconstruction: exploding inverses of unbounded affine couplings', () => {
  const results = new Map<string, ProbeResult[]>();
  before(async () => {
    await tf.setBackend('cpu');
    const data = tf.tensor2d(new Rng(1).normals(8 * D), [8, D]);
    for (const [name, blocks] of Object.entries(flows())) {
      const flow = new Flow(blocks);
      flow.forward(data).dispose();
      results.set(
        name,
        await runProbes(toProbeTarget(tf, flow, name, [D]), data, {
          tf,
          probes: ['reconstruction', 'sampling', 'inverse-lipschitz'],
          seed: 4,
          deadline: Date.now() + 60_000,
          settings: { scales: [1, 4, 16, 64] },
        }),
      );
    }
    data.dispose();
  });

  it('the exp-scale affine flow breaks as the input scale grows; additive and i-ResNet stay accurate', () => {
    const affine = errorByScale(results.get('affine')![0]!);
    assert.ok(affine.get(1)! < 1e-5, `affine at scale 1: ${affine.get(1)}`);
    assert.ok(affine.get(16)! > 1e-2, `affine at scale 16: ${affine.get(16)}`);
    assert.ok(affine.get(64)! >= affine.get(16)!);
    for (const name of ['additive', 'iresnet']) {
      const errs = errorByScale(results.get(name)![0]!);
      for (const [scale, e] of errs) assert.ok(e < 1e-5, `${name} at scale ${scale}: ${e}`);
      // The ordering the paper reports, at every scale past the data's.
      for (const s of [16, 64]) assert.ok(affine.get(s)! > 1000 * errs.get(s)!);
    }
  });

  it('the findings flag the affine flow only', () => {
    const codes = (name: string): string[] =>
      buildReport({
        ...testAudit(),
        model: { name, source: 'inline' },
        settings: { probes: [], seed: 4, points: 8, budgetSeconds: 60, data: 'normal', options: {} },
        probes: results.get(name)!,
        startedAt: Date.now(),
      }).findings.map((f) => f.code);
    assert.ok(codes('affine').includes('non-invertible-ood'));
    assert.deepEqual(codes('additive'), []);
    assert.deepEqual(codes('iresnet'), []);
  });
});
