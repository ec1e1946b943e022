import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ActNorm } from '../../src/layers/act-norm';
import { Flow } from '../../src/layers/flow';
import { InvertibleLinear } from '../../src/layers/invertible-linear';
import { toProbeTarget } from '../../src/probes/adapt';
import { Rng } from '../../src/probes/rng';
import { runProbes } from '../../src/probes/run-probes';
import type { ProbeTarget } from '../../src/probes/target';
import { matMul, matrix, singularValues } from '../../src/linalg/matrix64';
import { deriveFindings } from '../../src/report/findings';
import type { ProbeResult } from '../../src/report/schema';

const D = 8;
/** ActNorm log-scales from -11.2 to 11.2: the flow's condition number is e^22.4, about 5e9. */
const LOG_SCALES = Array.from({ length: D }, (_, i) => -11.2 + (22.4 * i) / (D - 1));

/** The flow's layers, kept for their float64 weights. */
let mixers: InvertibleLinear[] = [];

function illConditionedFlow(data: tf.Tensor2D): ProbeTarget {
  const norm = new ActNorm({ name: 'norm', dataInit: false });
  mixers = [new InvertibleLinear({ seed: 1, name: 'mix1' }), new InvertibleLinear({ seed: 2, name: 'mix2' })];
  const flow = new Flow([mixers[0]!, norm, mixers[1]!]);
  flow.forward(data).dispose();
  // Weights: log_scale, bias, initialized. The flow's own log-det is then sum(LOG_SCALES) = 0, exactly.
  norm.setWeights([tf.tensor1d(LOG_SCALES), tf.zeros([D]), tf.scalar(1)]);
  return toProbeTarget(tf, flow, 'ill-conditioned', [D]);
}

async function logdetOf(target: ProbeTarget, data: tf.Tensor2D): Promise<ProbeResult> {
  const [r] = await runProbes(target, data, {
    tf,
    probes: ['logdet'],
    seed: 1,
    deadline: Date.now() + 60_000,
    settings: {},
  });
  return r!;
}

function rows(r: ProbeResult): Array<Array<string | number | null>> {
  return r.tables.find((t) => t.id === 'checks')!.rows;
}

describe('log-det probe on an ill-conditioned flow (condition ~5e9)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('passes: the float32 reference is judged by its error bound, the model through its blocks', async () => {
    const data = tf.tensor2d(new Rng(7).normals(4 * D), [4, D]);
    const r = await logdetOf(illConditionedFlow(data), data);
    data.dispose();
    assert.equal(r.status, 'ok');
    const findings = deriveFindings([r]).filter((f) => f.code === 'logdet-mismatch');
    assert.deepEqual(findings, [], JSON.stringify(rows(r)));
    const table = r.tables.find((t) => t.id === 'checks')!;
    const verdict = table.columns.indexOf('verdict');
    const bound = table.columns.indexOf('reference_bound');
    for (const row of table.rows) {
      if (row[0] === '(model)') {
        // A dense Jacobian with condition 5e9 cannot be factored from float32 entries: no bound, checked via blocks.
        assert.equal(row[verdict], 'ok via blocks');
        assert.equal(row[bound], null);
      } else {
        // The diagonal block is as ill-conditioned, but its float32 entries are exact to rounding.
        assert.equal(row[verdict], 'ok', String(row[0]));
        assert.ok(Number(row[bound]) < 1e-4, `${row[0]} bound ${row[bound]}`);
      }
    }
  });

  it('still names a block whose own log-det is wrong', async () => {
    const data = tf.tensor2d(new Rng(7).normals(4 * D), [4, D]);
    const base = illConditionedFlow(data);
    // The middle block claims 0.5 too much; the model claims the (wrong) sum, so only the block can tell.
    const blocks = base.blocks!.map((b) =>
      b.name === 'norm' ? { ...b, logDet: (x: tf.Tensor) => tf.tidy(() => tf.add(b.logDet!(x), 0.5)) } : b,
    );
    const target: ProbeTarget = {
      ...base,
      blocks,
      logDet: (x) => tf.tidy(() => tf.add(base.logDet!(x), 0.5)),
    };
    const r = await logdetOf(target, data);
    data.dispose();
    const findings = deriveFindings([r]).filter((f) => f.code === 'logdet-mismatch');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.severity, 'error');
    assert.equal(findings[0]!.block, 'norm');
  });

  it('a model log-det that disagrees with its checked blocks is a mismatch', async () => {
    const data = tf.tensor2d(new Rng(7).normals(4 * D), [4, D]);
    const base = illConditionedFlow(data);
    const target: ProbeTarget = { ...base, logDet: (x) => tf.tidy(() => tf.add(base.logDet!(x), 0.5)) };
    const r = await logdetOf(target, data);
    data.dispose();
    const table = r.tables.find((t) => t.id === 'checks')!;
    const model = table.rows.filter((row) => row[0] === '(model)');
    assert.ok(model.every((row) => row[table.columns.indexOf('verdict')] === 'mismatch via blocks'));
    assert.equal(deriveFindings([r]).filter((f) => f.code === 'logdet-mismatch').length, 1);
  });

  it("the condition probe's bar holds the true condition number, which float32 cannot pin down", async () => {
    const data = tf.tensor2d(new Rng(7).normals(4 * D), [4, D]);
    const target = illConditionedFlow(data);
    const [r] = await runProbes(target, data, {
      tf,
      probes: ['condition'],
      seed: 1,
      deadline: Date.now() + 60_000,
      settings: { roundTrips: 0 },
    });
    data.dispose();
    // The flow is linear: J^T = W1 diag(exp(LOG_SCALES)) W2, in float64 from the layers' weights.
    const scale = matrix(D, D);
    LOG_SCALES.forEach((l, i) => (scale.data[i * D + i] = Math.exp(l)));
    const sv = singularValues(matMul(matMul(mixers[0]!.weightMatrix(), scale), mixers[1]!.weightMatrix()));
    const truth = sv[0]! / sv[D - 1]!;
    const value = (id: string): number => {
      const f = r!.figures.find((x) => x.id === id)!;
      return f.nonFinite === 'inf' ? Infinity : (f.value ?? NaN);
    };
    assert.ok(truth > 1e9, `truth ${truth}`);
    assert.ok(
      value('condition-lower') <= truth && truth <= value('condition-upper'),
      JSON.stringify(r!.figures),
    );
  });
});
