/**
 * Issue 12, item 7: the invertibility attack stops once gradient ascent stalls (after it could have crossed the
 * radius), and a model whose reconstruction breaks inside the ball is still found, the attack running on.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { attackProgress, attackStall } from '../../src/probes/attack';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeTarget } from '../../src/probes/target';
import type { ProbeResult } from '../../src/report/schema';
import { linearTarget, withSingularValues } from './helpers';

const STEPS = 200;

function figureOf(r: ProbeResult, id: string): number | null | undefined {
  return r.figures.find((f) => f.id === id)?.value;
}

async function attackOn(target: ProbeTarget, data: tf.Tensor): Promise<ProbeResult> {
  const [result] = await runProbes(target, data, {
    tf,
    probes: ['attack'],
    seed: 3,
    deadline: Date.now() + 60_000,
    settings: { attackSteps: STEPS },
  });
  return result!;
}

describe('attack stopping rule', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('on a stable model it stops at the first step allowed, saying why', async () => {
    const target = linearTarget(withSingularValues([2, 1.5, 1, 0.5]));
    const data = tf.randomNormal([8, 4], 0, 1, 'float32', 1);
    const r = await attackOn(target, data);
    data.dispose();
    const { minSteps } = attackStall([], STEPS);
    assert.equal(minSteps, 80);
    assert.equal(figureOf(r, 'steps'), minSteps);
    assert.equal(r.passes.backward, minSteps);
    assert.ok(figureOf(r, 'worst-error')! < 1e-5, String(figureOf(r, 'worst-error')));
    assert.ok(
      r.notes.some((n) =>
        /^Stopped at step 80 of 200: the worst error and the points' geometric mean grew by at most .* over the last 40 steps/.test(
          n,
        ),
      ),
      r.notes.join(' | '),
    );
  });

  it('on a model whose inverse breaks inside the ball it keeps climbing and finds the error', async () => {
    // Identity forward; the inverse adds 1e-7 * y * exp(a (y - 1/2)) per coordinate, so at the data (every
    // coordinate 1/2) the error is 1e-7, and a step of the radius 1/512 towards larger y multiplies it by
    // exp(8000 / 512) ~ 6e6: only gradient ascent to the ball's edge shows it.
    const a = 8000;
    const target: ProbeTarget = {
      name: 'explodes-near-data',
      inputShape: [4],
      forward: (x) => tf.clone(x),
      inverse: (y) => tf.add(y, tf.mul(1e-7, tf.mul(y, tf.exp(tf.mul(a, tf.sub(y, 0.5)))))),
    };
    const data = tf.fill([8, 4], 0.5);
    const r = await attackOn(target, data);
    data.dispose();
    const initial = figureOf(r, 'initial-error')!;
    assert.ok(initial < 2e-7, String(initial));
    // At the corner of the ball (every coordinate 1/2 + 1/512) the relative error is 1e-7 exp(8000 / 512) ~ 0.61;
    // with k of the 4 coordinates there, 0.61 sqrt(k / 4). Every point climbs until at least one coordinate of
    // it is at the edge, not only the point that started nearest: an error finding (> 1%) many times over.
    const corner = 1e-7 * Math.exp(a / 512);
    const perPoint = r.tables.find((t) => t.id === 'points')!.rows.map((row) => row[2] as number);
    for (const e of perPoint) assert.ok(e > 0.45 * corner, `a point stopped at ${e}`);
    assert.ok(figureOf(r, 'steps')! >= attackStall([], STEPS).minSteps);
  });

  it('the rule: no stop before minSteps, a stop on a flat history, none while either figure grows, a stop on NaN', () => {
    const at = (worst: number, typical = worst) => ({ worst, typical });
    const flat = Array.from({ length: 81 }, () => at(1e-7));
    assert.equal(attackStall(flat.slice(0, 80), STEPS).reason, undefined);
    assert.match(
      attackStall(flat, STEPS).reason ?? '',
      /grew by at most 0\.0% \(< 10%\) over the last 40 steps/,
    );
    const growing = Array.from({ length: 201 }, (_, k) => at(1e-7 * 1.003 ** k));
    for (let k = 1; k <= 200; k++)
      assert.equal(attackStall(growing.slice(0, k + 1), STEPS).reason, undefined);
    // The worst point saturated while the others still climb: go on.
    const climbing = Array.from({ length: 201 }, (_, k) => at(0.5, 1e-7 * 1.003 ** k));
    for (let k = 1; k <= 200; k++)
      assert.equal(attackStall(climbing.slice(0, k + 1), STEPS).reason, undefined);
    assert.match(attackStall([at(1e-7), at(NaN)], STEPS).reason ?? '', /NaN\/Inf/);
    // Exact reconstructions everywhere: nothing to climb.
    const zeros = Array.from({ length: 81 }, () => attackProgress([0, 0]));
    assert.match(attackStall(zeros, STEPS).reason ?? '', /at most 0\.0%/);
  });
});
