/**
 * A stochastic log-det (the i-ResNet's power series with Hutchinson traces) is judged by the mean of its draws
 * with room for their standard error: unbiased, it passes; biased by more than that room, it fails.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Flow } from '../../src/layers/flow';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import { toProbeTarget } from '../../src/probes/adapt';
import { Rng } from '../../src/probes/rng';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeTarget } from '../../src/probes/target';
import { deriveFindings } from '../../src/report/findings';
import type { ProbeResult } from '../../src/report/schema';

const D = 6;

async function logdetOf(target: ProbeTarget, data: tf.Tensor2D): Promise<ProbeResult> {
  const [r] = await runProbes(target, data, {
    tf,
    probes: ['logdet'],
    seed: 1,
    deadline: Date.now() + 60_000,
  });
  return r!;
}

function column(r: ProbeResult, name: string): Array<string | number | null> {
  const table = r.tables.find((t) => t.id === 'checks')!;
  const i = table.columns.indexOf(name);
  return table.rows.map((row) => row[i]!);
}

describe('log-det probe on a stochastic log-det', () => {
  let data: tf.Tensor2D;
  let flow: Flow;
  before(async () => {
    await tf.setBackend('cpu');
    data = tf.tensor2d(new Rng(3).normals(2 * D), [2, D]);
    // One Hutchinson probe, no fixed terms past the first: a noisy estimate, unbiased by construction.
    flow = new Flow(
      [1, 2].map(
        (seed) =>
          new InvertibleResidual({ hiddenUnits: [16], coeff: 0.9, seed, logDet: 'series', seriesTerms: 1 }),
      ),
    );
    flow.forward(data).dispose();
  });

  it('an unbiased series estimate passes, judged with its standard error', async () => {
    const r = await logdetOf(toProbeTarget(tf, flow, 'iresnet-series', [D]), data);
    assert.equal(r.status, 'ok', r.message);
    const se = column(r, 'standard_error') as number[];
    assert.ok(
      se.every((v) => v > 0),
      `every check saw a stochastic log-det: ${se.join(', ')}`,
    );
    assert.deepEqual(
      deriveFindings([r]).filter((f) => f.code === 'logdet-mismatch'),
      [],
      JSON.stringify(r.tables),
    );
    assert.ok(r.notes.some((n) => /Stochastic log-det/.test(n)));
  });

  it('a bias beyond the room fails', async () => {
    const base = toProbeTarget(tf, flow, 'iresnet-series', [D]);
    const biased: ProbeTarget = {
      ...base,
      blocks: undefined,
      logDet: (x) => tf.tidy(() => tf.add(base.logDet!(x), 1)),
    };
    const r = await logdetOf(biased, data);
    assert.equal(
      deriveFindings([r]).filter((f) => f.code === 'logdet-mismatch').length,
      1,
      JSON.stringify(r.tables),
    );
  });
});
