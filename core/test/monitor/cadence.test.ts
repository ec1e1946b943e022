/**
 * The monitor's cadences at their extremes, where the outcome does not depend on timing: every N steps; a period
 * of 0 s or an overhead budget of 1 (measure at every step) against an hour or a budget of 1e-9 (only the first
 * step, and the last when the run ends). The end line accounts the monitor's time against the training's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend';
import { AdditiveCoupling, Flow } from '../../src/layers';
import { parseRunFile } from '../../src/monitor/run-file';
import { type MonitorOptions, TrainingMonitor } from '../../src/monitor/training-monitor';

describe('training monitor cadence', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-monitor-cadence-'));
  let flow: Flow;
  let data: tf.Tensor2D;
  before(async () => {
    await selectBackend({ prefer: 'wasm' });
    flow = new Flow([new AdditiveCoupling({ hiddenUnits: 8, zeroInit: false, seed: 1, name: 'add_0' })]);
    data = tf.randomNormal([8, 4], 0, 1, 'float32', 9);
  });
  after(() => {
    data.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Steps 0..5 reported in order; the steps measured, and whether step() said so. */
  function measured(options: Partial<MonitorOptions>): {
    steps: number[];
    said: boolean[];
    overhead: number;
  } {
    const monitor = new TrainingMonitor(flow, { data, dir, ...options });
    const said = [0, 1, 2, 3, 4, 5].map((s) => monitor.step(s));
    const end = monitor.end()!;
    const run = parseRunFile(readFileSync(monitor.file, 'utf8'));
    assert.deepEqual(run.end, end);
    return { steps: run.measurements.map((m) => m.step), said, overhead: end.overhead };
  }

  it('every N steps', () => {
    const r = measured({ everySteps: 2 });
    assert.deepEqual(r.steps, [0, 2, 4, 5]);
    assert.deepEqual(r.said, [true, false, true, false, true, false]);
  });

  it('every 0 s measures each step; every hour only the first and, at the end, the last', () => {
    assert.deepEqual(measured({ everySeconds: 0 }).steps, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(measured({ everySeconds: 3600 }).steps, [0, 5]);
  });

  it('an overhead budget of 1 measures each step; of 1e-9 only the first and the last', () => {
    const all = measured({ overheadBudget: 1 });
    assert.deepEqual(all.steps, [0, 1, 2, 3, 4, 5]);
    // Nothing but measuring between the steps: the monitor's share of the time is nearly all of it.
    assert.ok(all.overhead > 0.5, String(all.overhead));
    assert.deepEqual(measured({ overheadBudget: 1e-9 }).steps, [0, 5]);
  });
});
