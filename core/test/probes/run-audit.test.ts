import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileSystemIO } from '../../src/layers/file-io';
import { runAudit } from '../../src/probes/run-audit';
import type { AuditRequest } from '../../src/protocol/worker-messages';
import { parseReport } from '../../src/report/schema';
import { additiveModel } from './fixtures/models';

const fixtures = join(__dirname, 'fixtures');
const light = { attackSteps: 5, pairSteps: 3, scales: [1, 8], roundTrips: 3, temperatures: [1, 4] };

function request(model: AuditRequest['model'], extra: Partial<AuditRequest> = {}): AuditRequest {
  return {
    model,
    cwd: fixtures,
    backend: 'cpu',
    budgetSeconds: 30,
    points: 4,
    seed: 1,
    options: light,
    ...extra,
  };
}

describe('runAudit forks the worker and always returns a report', () => {
  let dir = '';
  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'll-audit-'));
    await additiveModel().save(fileSystemIO(dir));
    // Outside the repo, so neither tfjs nor lipschitz-lens resolves: the worker must fall back to its own.
    copyFileSync(join(fixtures, 'lens-user.js'), join(dir, 'lens-user.js'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('audits a TS module factory with the user folder tfjs', async () => {
    const progress: string[] = [];
    const report = await runAudit(
      request({
        source: 'module',
        file: join(fixtures, 'models.ts'),
        exportName: 'additiveModel',
        args: [6],
      }),
      { onProgress: (p) => progress.push(p.probe) },
    );
    assert.equal(report.status, 'complete', JSON.stringify(report.error));
    assert.equal(report.backend?.name, 'cpu');
    assert.equal(report.backend?.bundled, false);
    assert.deepEqual(report.model.blocks, ['coupling_a', 'perm', 'coupling_b']);
    assert.equal(report.probes.length, 8);
    assert.ok(
      report.probes.every((p) => p.status === 'ok'),
      report.probes.map((p) => `${p.id}:${p.status}:${p.message}`).join(),
    );
    assert.ok(progress.includes('attack'));
    assert.deepEqual(report.findings, []);
    parseReport(JSON.stringify(report));
  });

  it('audits a checkpoint with the layers registered, and a JS module importing lipschitz-lens', async () => {
    const [ckpt, js] = await Promise.all([
      runAudit(
        request(
          { source: 'checkpoint', path: join(dir, 'model.json') },
          { probes: ['reconstruction', 'inverse-lipschitz'] },
        ),
      ),
      runAudit(
        request(
          { source: 'module', file: join(dir, 'lens-user.js'), args: [2] },
          { cwd: dir, probes: ['reconstruction'], inputShape: [4], options: { scales: [1, 64] } },
        ),
      ),
    ]);
    assert.equal(ckpt.status, 'complete', JSON.stringify(ckpt.error));
    assert.equal(ckpt.model.source, 'checkpoint');
    const table = ckpt.probes[1]!.tables.find((t) => t.id === 'blocks')!;
    assert.deepEqual(
      table.rows.map((r) => r[0]),
      ['coupling_a', 'perm', 'coupling_b'],
    );
    assert.equal(js.status, 'complete', JSON.stringify(js.error));
    assert.equal(js.backend?.bundled, true);
    assert.match(js.backend!.notes.join(' '), /lipschitz-lens is not installed/);
    assert.equal(js.model.exportName, 'default');
  });

  it('a factory that throws, a NaN model and a bad probe name give reports with clear errors', async () => {
    const [threw, nan, bad] = await Promise.all([
      runAudit(request({ source: 'module', file: join(fixtures, 'models.ts'), exportName: 'throws' })),
      runAudit(
        request(
          { source: 'module', file: join(fixtures, 'models.ts'), exportName: 'nanModel' },
          { probes: ['forward-lipschitz', 'reconstruction'] },
        ),
      ),
      runAudit(
        request(
          { source: 'module', file: join(fixtures, 'models.ts'), exportName: 'nanModel' },
          { probes: ['nope'] },
        ),
      ),
    ]);
    assert.equal(threw.status, 'failed');
    assert.match(threw.error!.message, /Could not load the model: factory exploded on purpose/);
    assert.equal(threw.findings[0]!.code, 'audit-failed');
    assert.equal(nan.status, 'complete');
    const codes = nan.findings.map((f) => f.code);
    assert.ok(codes.includes('nan-output') && codes.includes('non-invertible'), codes.join());
    assert.equal(bad.status, 'failed');
    assert.match(bad.error!.message, /unknown probes: nope/);
  });

  it('kills a factory that never returns at the budget, and honours cancel', async () => {
    const t0 = Date.now();
    const controller = new AbortController();
    const loopReq = request(
      { source: 'module', file: join(fixtures, 'models.ts'), exportName: 'loops' },
      { budgetSeconds: 2 },
    );
    const [hung, cancelled] = await Promise.all([
      runAudit(loopReq, { graceMs: 1000 }),
      runAudit(loopReq, { signal: controller.signal, cancelGraceMs: 500 }),
      new Promise((r) => setTimeout(r, 500)).then(() => controller.abort()),
    ]);
    assert.equal(hung.status, 'failed');
    assert.equal(hung.error!.phase, 'timeout');
    assert.match(hung.error!.message, /did not finish within its budget of 2 s/);
    assert.equal(cancelled.error!.phase, 'cancelled');
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  it("seeds Math.random in the worker: a model's unseeded fresh weights repeat with the seed", async () => {
    const sigma = async (seed: number): Promise<number | null> => {
      const report = await runAudit(
        request(
          { source: 'module', file: join(fixtures, 'models.ts'), exportName: 'unseededMlp' },
          { probes: ['forward-lipschitz'], seed, options: { ...light, pairSteps: 1 } },
        ),
      );
      assert.equal(report.status, 'complete', JSON.stringify(report.error));
      return report.probes[0]!.figures.find((f) => f.id === 'sigma-max')!.value;
    };
    const [a, b, c] = [await sigma(3), await sigma(3), await sigma(4)];
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});
