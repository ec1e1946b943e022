/**
 * Issue 12, item 4: an affine flow that reconstructs its data but returns Inf on inputs inside the data's range
 * is an error, not an out-of-distribution warning. Audited the way a user's checkpoint is: the worker loads the
 * saved model and a sample file.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdditiveCoupling } from '../../src/layers/additive-coupling';
import { AffineCoupling } from '../../src/layers/affine-coupling';
import { fileSystemIO } from '../../src/layers/file-io';
import { Flow } from '../../src/layers/flow';
import { Rng } from '../../src/probes/rng';
import { runAudit } from '../../src/probes/run-audit';
import type { Report } from '../../src/report/schema';

const N = 16;
const GAIN = 60;

/**
 * Points (a, b, c, d) with b within 0.05 of a: on the data the affine scale exp(GAIN (a - b)) stays below e^3,
 * while uniform points of the same per-coordinate range reach |a - b| near 4, where exp overflows float32.
 */
function sample(): number[][] {
  const rng = new Rng(5);
  return Array.from({ length: N }, () => {
    const [a, db, c, d] = rng.normals(4);
    return [a!, a! + 0.025 * db!, c!, d!];
  });
}

/**
 * The conditioner computes h = GAIN (a - b) for both scale channels and t = 0: relu(a - b) - relu(b - a). Such
 * weights are what maximum likelihood can reach on this data, where nothing constrains the scale off the
 * diagonal a = b.
 */
function saturatingFlow(): Flow {
  const coupling = new AffineCoupling({ scale: 'exp', hiddenUnits: 2, hiddenLayers: 1, name: 'coupling' });
  const flow = new Flow([coupling]);
  flow.forward(tf.zeros([1, 4])).dispose();
  coupling.setWeights([
    tf.tensor2d([
      [1, -1],
      [-1, 1],
    ]),
    tf.zeros([2]),
    tf.tensor2d([
      [GAIN, GAIN, 0, 0],
      [-GAIN, -GAIN, 0, 0],
    ]),
    tf.zeros([4]),
  ]);
  return flow;
}

describe('an affine flow that breaks inside the data range', () => {
  let dir = '';
  const reports = new Map<string, Report>();
  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'll-in-range-'));
    writeFileSync(join(dir, 'sample.json'), JSON.stringify(sample()));
    const models: Record<string, Flow> = {
      affine: saturatingFlow(),
      additive: new Flow([
        new AdditiveCoupling({ hiddenUnits: 8, zeroInit: false, seed: 1, name: 'coupling' }),
      ]),
    };
    for (const [name, flow] of Object.entries(models)) {
      await flow.toModel([4], name).save(fileSystemIO(join(dir, name)));
      reports.set(
        name,
        await runAudit({
          model: { source: 'checkpoint', path: join(dir, name, 'model.json') },
          cwd: dir,
          backend: 'cpu',
          budgetSeconds: 60,
          points: N,
          seed: 1,
          sample: join(dir, 'sample.json'),
          probes: ['reconstruction'],
          options: { scales: [1, 2] },
        }),
      );
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reconstructs the data but not uniform points of the data range: an error', () => {
    const report = reports.get('affine')!;
    assert.equal(report.status, 'complete', JSON.stringify(report.error));
    const figures = report.probes[0]!.figures;
    const dataMax = figures.find((f) => f.id === 'data-max')!;
    assert.ok(dataMax.value !== null && dataMax.value < 1e-5, JSON.stringify(dataMax));
    const inRange = figures.find((f) => f.id === 'in-range-max')!;
    assert.ok(inRange.nonFinite !== undefined || inRange.value! > 1e-2, JSON.stringify(inRange));
    const codes = report.findings.map((f) => `${f.code}:${f.severity}`);
    assert.ok(codes.includes('non-invertible-in-range:error'), codes.join());
    assert.ok(!codes.includes('non-invertible:error'), codes.join());
  });

  it('the additive flow on the same data has no finding', () => {
    const report = reports.get('additive')!;
    assert.equal(report.status, 'complete', JSON.stringify(report.error));
    assert.deepEqual(report.findings, []);
  });
});
