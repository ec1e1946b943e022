import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Flow, type InvertibleLayer } from '../../src/layers/flow';
import type { InverseReport } from '../../src/layers/invertible';
import { InvertibleResidual } from '../../src/layers/invertible-residual';
import { MultiScaleFlow } from '../../src/layers/multi-scale-flow';
import { worstCaseResidualBlock } from '../helpers/worst-case-residual';
import { toProbeTarget } from '../../src/probes/adapt';
import type { ProbeId } from '../../src/probes/probe';
import { Rng } from '../../src/probes/rng';
import { runProbes } from '../../src/probes/run-probes';
import { buildReport } from '../../src/report/build';
import type { SourceMap } from '../../src/report/findings';
import {
  FIXED_POINT_FIGURES,
  FIXED_POINT_FINDINGS,
  type FixedPointSummary,
  readFixedPointTable,
} from '../../src/report/fixed-point';
import type { Finding, ProbeResult, Report } from '../../src/report/schema';
import { testAudit } from '../report/audit-context';

const D = 6;
const CODES: readonly string[] = Object.values(FIXED_POINT_FINDINGS);

/**
 * The worst-case block of test/helpers/worst-case-residual.ts at c = 0.9. A tolerance of 1e-12 is below float32
 * resolution: the cap derived from the certified contraction is reached with the residual above the tolerance,
 * whatever the input.
 */
function worstCaseBlock(name: string, inverseTolerance?: number): InvertibleResidual {
  return worstCaseResidualBlock({ dim: D, coeff: 0.9, name, inverseTolerance });
}

/**
 * F(x) = x + x |x| / (2 s) elementwise, inverted by x <- y - g(x) under a fixed cap: Lip(g) = |x| / s is below 1
 * only for |x| < s, so the iteration converges at the data (|x| <= ~3, s = 8) and diverges at 8x its scale. A
 * layer of no class this library knows, with lastInverseReport() giving only the InverseReport fields.
 */
class QuadraticResidual extends tf.layers.Layer {
  static readonly className = 'QuadraticResidualForTest';
  private report: InverseReport | null = null;
  constructor(
    name: string,
    private readonly s = 8,
    private readonly cap = 100,
  ) {
    super({ name });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.map(Array.isArray(inputs) ? inputs[0]! : inputs));
  }

  inverse(y: tf.Tensor): tf.Tensor {
    const tolerance =
      1e-6 *
      Math.max(
        1,
        tf.tidy(() => tf.max(tf.abs(y)).dataSync()[0]!),
      );
    let x = y.clone();
    let residual = Infinity;
    let iterations = 0;
    while (iterations < this.cap && !(residual <= tolerance)) {
      const next = tf.tidy(() => tf.sub(y, tf.sub(this.map(x), x)));
      residual = tf.tidy(() => tf.max(tf.abs(tf.sub(next, x))).dataSync()[0]!);
      x.dispose();
      x = next;
      iterations++;
    }
    this.report = { iterations, residual, converged: residual <= tolerance };
    return x;
  }

  lastInverseReport(): InverseReport {
    if (this.report === null) throw new Error('no inverse yet');
    return { ...this.report };
  }

  logDetJacobian(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => {
      const terms = tf.log1p(tf.div(tf.abs(x), this.s));
      return tf.sum(terms.reshape([x.shape[0]!, -1]), 1) as tf.Tensor1D;
    });
  }

  lipschitzBounds(): { forward: number; inverse: number } {
    return { forward: Infinity, inverse: 1 };
  }

  private map(x: tf.Tensor): tf.Tensor {
    return tf.add(x, tf.div(tf.mul(x, tf.abs(x)), 2 * this.s));
  }
}

function range(line: number) {
  return { file: '/w/model.ts', start: { line, character: 2 }, end: { line, character: 30 } };
}

async function audit(
  value: unknown,
  data: tf.Tensor,
  probes: ProbeId[],
  sources: SourceMap,
): Promise<{ results: ProbeResult[]; report: Report }> {
  const results = await runProbes(toProbeTarget(tf, value, 'model', data.shape.slice(1)), data, {
    tf,
    probes,
    seed: 3,
    deadline: Date.now() + 120_000,
    settings: { scales: [1, 8], roundTrips: 2, temperatures: [1, 8], attackSteps: 10 },
  });
  for (const r of results) assert.equal(r.status, 'ok', `${r.id}: ${r.message ?? ''}`);
  const report = buildReport({
    ...testAudit(),
    model: { name: 'model', source: 'inline' },
    settings: { probes, seed: 3, points: data.shape[0]!, budgetSeconds: 120, data: 'normal', options: {} },
    probes: results,
    startedAt: Date.now(),
    sources,
  });
  return { results, report };
}

function rowOf(results: ProbeResult[], probe: string, layer: string): FixedPointSummary {
  const r = results.find((p) => p.id === probe)!;
  const row = readFixedPointTable(r).find((s) => s.layer === layer);
  assert.ok(row !== undefined, `${probe} has no fixed-point row for ${layer}: ${JSON.stringify(r.tables)}`);
  return row;
}

function fixedPointFindings(report: Report): Finding[] {
  return report.findings.filter((f) => CODES.includes(f.code));
}

const normals = (shape: number[], seed: number): tf.Tensor =>
  tf.tensor(new Rng(seed).normals(shape.reduce((a, b) => a * b, 1)), shape);

describe('audit: fixed-point inverses that stop at their cap are findings', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('an i-ResNet block that cannot reach its tolerance is an error on the data, naming that block and its source', async () => {
    const ok = new InvertibleResidual({ name: 'irb_ok', hiddenUnits: [16], seed: 2 });
    const stuck = worstCaseBlock('irb_stuck', 1e-12);
    const flow = new Flow([ok as InvertibleLayer, stuck]);
    const data = normals([8, D], 1);
    flow.forward(data).dispose();
    const sources = { model: range(3), blocks: { irb_ok: range(5), irb_stuck: range(6) } };
    const { results, report } = await audit(flow, data, ['reconstruction', 'condition'], sources);
    data.dispose();

    const found = fixedPointFindings(report);
    assert.equal(found.length, 1, JSON.stringify(found));
    const f = found[0]!;
    assert.equal(f.code, FIXED_POINT_FINDINGS.atData);
    assert.equal(f.severity, 'error');
    assert.equal(f.block, 'irb_stuck');
    assert.deepEqual(f.range, range(6));
    assert.match(f.message, /irb_stuck/);
    console.log(f.message);

    // Every call of the stuck block ran to its cap; the certified contraction set the cap, not the fallback 100.
    const stuckRow = rowOf(results, 'reconstruction', 'irb_stuck');
    assert.equal(stuckRow.notConverged, stuckRow.calls);
    assert.ok(stuckRow.notConvergedAtData >= 1, JSON.stringify(stuckRow));
    assert.equal(stuckRow.iterations, stuckRow.cap);
    assert.ok(stuckRow.cap! > 100 && stuckRow.contraction! < 0.9 && stuckRow.contraction! > 0.85);
    assert.ok(stuckRow.ratio! > 1 && stuckRow.tolerance! < 1e-10, JSON.stringify(stuckRow));
    assert.equal(stuckRow.failingInputs[0], 'data');
    // The condition probe tags nothing: its round trips start at the data, so they count as at the data.
    assert.ok(rowOf(results, 'condition', 'irb_stuck').notConvergedAtData > 0);
    // The converging block is listed, with every call converged.
    const okRow = rowOf(results, 'reconstruction', 'irb_ok');
    assert.ok(okRow.calls > 0 && okRow.notConverged === 0, JSON.stringify(okRow));
    const fig = (id: string) =>
      results.find((p) => p.id === 'reconstruction')!.figures.find((x) => x.id === id)?.value;
    assert.equal(fig(FIXED_POINT_FIGURES.notConverged), stuckRow.calls);
    assert.equal(fig(FIXED_POINT_FIGURES.calls), stuckRow.calls + okRow.calls);
  });

  it('a layer that converges at the data but not at 8x its scale is a warning, with the failing inputs', async () => {
    const quad = new QuadraticResidual('quad');
    const flow = new Flow([
      quad as unknown as InvertibleLayer,
      new InvertibleResidual({ hiddenUnits: [16], seed: 4 }),
    ]);
    const data = normals([8, D], 5);
    flow.forward(data).dispose();
    const { results, report } = await audit(flow, data, ['reconstruction', 'attack', 'sampling'], {
      model: range(3),
      blocks: { quad: range(9) },
    });
    data.dispose();
    const found = fixedPointFindings(report);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0]!.code, FIXED_POINT_FINDINGS.outOfDistribution);
    assert.equal(found[0]!.severity, 'warning');
    assert.equal(found[0]!.block, 'quad');
    assert.deepEqual(found[0]!.range, range(9));
    console.log(found[0]!.message);
    const row = rowOf(results, 'reconstruction', 'quad');
    assert.equal(row.notConvergedAtData, 0);
    assert.ok(row.notConverged > 0 && row.failingInputs.includes('data x8'), JSON.stringify(row));
    assert.ok(!row.failingInputs.includes('data'));
    // No tolerance, cap or contraction in this layer's report: the cells are empty, not invented.
    assert.equal(row.tolerance, null);
    assert.equal(row.cap, null);
    // Sampling inverts latents, which are the data's image only for a trained flow: out of distribution.
    const sampled = rowOf(results, 'sampling', 'quad');
    assert.deepEqual([sampled.notConvergedAtData, sampled.failingInputs], [0, ['latent x8']]);
    // The attack stays within half a quantisation bin of the data: every call converged there.
    const attacked = rowOf(results, 'attack', 'quad');
    assert.ok(attacked.calls > 0 && attacked.notConverged === 0, JSON.stringify(attacked));
  });

  it('inside a MultiScaleFlow the finding names the step, with its level block as the source when the step has none', async () => {
    const quad = new QuadraticResidual('quad_level0');
    const flow = new MultiScaleFlow({
      name: 'msf',
      levels: [[quad as unknown as InvertibleLayer], [new QuadraticResidual('quad_level1', 1e6)]],
      inputShape: [4, 4, 4],
    });
    const data = normals([4, 4, 4, 4], 7);
    const { results, report } = await audit(flow, data, ['reconstruction'], {
      model: range(3),
      blocks: { 'model/level_0': range(12) },
    });
    data.dispose();
    const row = rowOf(results, 'reconstruction', 'quad_level0');
    // Level blocks are named after the target ('model' here), as the adapter names them.
    assert.equal(row.block, 'model/level_0');
    assert.equal(rowOf(results, 'reconstruction', 'quad_level1').block, 'model/level_1');
    const found = fixedPointFindings(report);
    assert.deepEqual(
      found.map((f) => [f.block, f.severity, f.range?.start.line]),
      [['quad_level0', 'warning', 12]],
    );
  });

  it('converging i-ResNet blocks give a table and no finding; watching leaves the layers as they were', async () => {
    const blocks = [1, 2].map((seed) => new InvertibleResidual({ hiddenUnits: [16], seed }));
    const flow = new Flow(blocks);
    const data = normals([8, D], 11);
    flow.forward(data).dispose();
    const { results, report } = await audit(
      flow,
      data,
      ['reconstruction', 'sampling', 'inverse-lipschitz'],
      {},
    );
    data.dispose();
    assert.deepEqual(fixedPointFindings(report), []);
    for (const probe of ['reconstruction', 'sampling', 'inverse-lipschitz'])
      for (const b of blocks) {
        const row = rowOf(results, probe, b.name);
        assert.ok(row.calls > 0 && row.notConverged === 0, `${probe} ${JSON.stringify(row)}`);
        assert.ok(row.ratio !== null && row.ratio <= 1);
      }
    for (const b of blocks) assert.equal(Object.getOwnPropertyDescriptor(b, 'inverse'), undefined);
  });
});
