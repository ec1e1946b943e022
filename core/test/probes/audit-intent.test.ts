/**
 * Issue 12, items 1 and 2: the audit follows the model's intent (the linter's), and the report says where the
 * weights and the data came from and which backend each probe ran on.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { auditStaticView, parseAuditArgs } from '../../src/cli/audit';
import { fileSystemIO } from '../../src/layers/file-io';
import { provenanceOf } from '../../src/probes/provenance';
import { runAudit } from '../../src/probes/run-audit';
import { reportVerdict, verdictText } from '../../src/protocol/webview';
import { provenanceLines } from '../../src/report/provenance-text';
import { parseReport } from '../../src/report/schema';
import { additiveModel } from './fixtures/models';

const fixtures = join(__dirname, 'fixtures');
const light = ['--backend', 'cpu', '--points', '3', '--budget', '60', '--option', 'pairSteps=2'];

describe('the audit follows the intent and states its provenance', () => {
  let dir = '';
  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'll-provenance-'));
    await additiveModel().save(fileSystemIO(dir));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an ordinary classifier gets a forward audit and no invertibility verdict', async () => {
    const { request } = parseAuditArgs([join(fixtures, 'classifier.ts'), ...light], fixtures);
    assert.equal(request.intent?.kind, 'ordinary');
    const report = parseReport(JSON.stringify(await runAudit(request)));
    assert.equal(report.status, 'complete', JSON.stringify(report.error));
    assert.deepEqual(report.intent, {
      kind: 'ordinary',
      signals: request.intent!.signals,
      decidedBy: 'code',
    });
    const ran = report.probes.filter((p) => p.status !== 'skipped').map((p) => p.id);
    assert.deepEqual(ran, ['forward-lipschitz']);
    for (const p of report.probes.filter((q) => q.status === 'skipped'))
      assert.match(p.message!, /not part of the audit of an ordinary model/);
    // Today's failure: "error: inverse Lipschitz inf" for a model never meant to be inverted.
    assert.deepEqual(
      report.findings.filter((f) => f.probe !== 'forward-lipschitz'),
      [],
    );
    assert.notEqual(reportVerdict(report), 'unstable');
    assert.equal(verdictText(report), 'architecture looks stable (fresh weights, forward map only)');
    // Fresh weights, said as such, and standard normals at scale 1, seed 0.
    assert.deepEqual(report.provenance, {
      weights: { kind: 'fresh', module: join(fixtures, 'classifier.ts') },
      data: { kind: 'normal', points: 3, scale: 1 },
      seed: 0,
    });
    assert.deepEqual(report.probes[0]!.backend, { name: 'cpu' });
  });

  it('a critic gets the global-bound view: the measured constant beside the static global bound', async () => {
    const parsed = parseAuditArgs([join(fixtures, 'critic.ts'), ...light], fixtures);
    parsed.request.staticBounds = await auditStaticView(parsed);
    const report = parseReport(JSON.stringify(await runAudit(parsed.request)));
    assert.equal(report.status, 'complete', JSON.stringify(report.error));
    assert.equal(report.intent.kind, 'lipschitz');
    assert.deepEqual(
      report.probes.filter((p) => p.status !== 'skipped').map((p) => p.id),
      ['forward-lipschitz'],
    );
    assert.deepEqual(
      report.staticBounds?.blocks.map((b) => [b.label, b.kind, b.forward]),
      [
        // The fixture's name configs: the names tfjs gives the layers at run time too.
        ['hidden', 'dense', 'unknown'],
        ['score', 'dense', 'unknown'],
      ],
    );
    const line = provenanceLines(report).find((l) => l.label === 'global bound')?.text;
    assert.match(
      line ?? '',
      /^measured [\d.]+ at the probe points \(a lower bound on the global constant\); static global bound unknown: nothing guarantees a global constant$/,
    );
  });

  it('a module that loads its own weights is not called a fresh initialisation', () => {
    const module = (text: string): string => {
      const file = join(dir, `m${Math.random().toString(36).slice(2)}.ts`);
      writeFileSync(file, text);
      return file;
    };
    const request = (file: string) => ({
      model: { source: 'module' as const, file },
      cwd: dir,
      budgetSeconds: 1,
    });
    const loads = module("export const m = await tf.loadLayersModel('file://./ckpt/model.json');\n");
    assert.deepEqual(provenanceOf(request(loads), 4).weights, {
      kind: 'module-loaded',
      module: loads,
      call: 'loadLayersModel',
    });
    const fresh = module('export const m = tf.sequential({ layers: [] });\n');
    assert.deepEqual(provenanceOf(request(fresh), 4).weights, { kind: 'fresh', module: fresh });
  });

  it('a checkpoint audit names the checkpoint and its date, and each probe its backend', async () => {
    const path = join(dir, 'model.json');
    const report = await runAudit({
      model: { source: 'checkpoint', path },
      cwd: fixtures,
      backend: 'cpu',
      budgetSeconds: 60,
      points: 3,
      seed: 5,
      probes: ['forward-lipschitz', 'reconstruction'],
      options: { pairSteps: 2, scales: [1, 4] },
    });
    assert.equal(report.status, 'complete', JSON.stringify(report.error));
    assert.deepEqual(report.provenance.weights, {
      kind: 'checkpoint',
      path,
      modified: statSync(path).mtime.toISOString(),
    });
    assert.equal(report.provenance.seed, 5);
    // No source was analysed: the loaded model, which has an inverse, decided, and the report says so.
    assert.equal(report.intent.kind, 'invertible');
    assert.equal(report.intent.decidedBy, 'runtime');
    assert.deepEqual(
      report.probes.map((p) => [p.id, p.backend?.name]),
      [
        ['forward-lipschitz', 'cpu'],
        ['reconstruction', 'cpu'],
      ],
    );
    assert.equal(verdictText(report), 'model looks stable (checkpoint weights)');
  });
});
