/**
 * Issue 15, items 1 and 3: the training monitor on toy flows (wasm). Trained by maximum likelihood for 300 steps,
 * the reproduction's affine-exp flow's out-of-distribution reconstruction error climbs from float32 rounding to
 * NaN/Inf and its inverse lower bounds grow, and the alert fires once. An additive flow whose conditioners are
 * held to spectral norm 1 (so each coupling's inverse is at most 1 + 1 = 2 whatever training does) keeps every
 * block's inverse lower bound within 2x of its start and raises none. (With free conditioners an additive
 * coupling's inverse, 1 + Lip(t), grows as t learns slope: 1.0 to 4.2 over the same 300 steps.) The CLI exits 1
 * on the first run and 0 on the second, and a run file being written is read up to its last complete line.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { chromium } from 'playwright-core';
import { selectBackend } from '../../src/backend/select-backend';
import { runMonitor } from '../../src/cli/monitor';
import { AdditiveCoupling, Flow, type InvertibleLayer, Permutation } from '../../src/layers';
import {
  parseRunFile,
  RUN_FILE_VERSION,
  type RunAlert,
  type RunFile,
  RunFileError,
} from '../../src/monitor/run-file';
import { inverseOffData } from '../../src/monitor/summary';
import { TrainingMonitor } from '../../src/monitor/training-monitor';
import { EMBEDDED_RUN_ID } from '../../src/protocol/webview';
import { REPRODUCED_FLOWS } from '../../src/reproduce/flows';
import { toyData } from '../../src/reproduce/toy-data';
import { trainFlow } from '../../src/reproduce/train';

const STEPS = 300;
const CHROMIUM = '/usr/bin/chromium';

interface Trained {
  file: string;
  run: RunFile;
  alerts: RunAlert[];
  /** Tensors the monitor's calls (construction, steps, end) left allocated, summed. */
  leaked: number;
}

/** Additive couplings with conditioner kernels held to spectral norm 1, and permutations (NICE without scaling). */
function certifiedAdditive(): Flow {
  const layers: InvertibleLayer[] = [];
  for (let k = 0; k < 4; k++)
    layers.push(
      new AdditiveCoupling({ hiddenUnits: 32, conditionerNorm: 1, seed: 1 + 10 * k, name: `additive_${k}` }),
      new Permutation({ seed: 10 * k + 10, name: `perm_${k}` }),
    );
  return new Flow(layers);
}

const BUILDERS: Record<string, () => Flow> = {
  'affine-exp': () => REPRODUCED_FLOWS.find((f) => f.id === 'affine-exp')!.build(1),
  'additive-certified': certifiedAdditive,
};

function train(id: string, dir: string, data: tf.Tensor2D): Trained {
  const flow = BUILDERS[id]!();
  const alerts: RunAlert[] = [];
  let monitor: TrainingMonitor | undefined;
  let leaked = 0;
  const counted = <T>(f: () => T): T => {
    const before = tf.memory().numTensors;
    const out = f();
    leaked += tf.memory().numTensors - before;
    return out;
  };
  trainFlow(flow, data, {
    steps: STEPS,
    batch: 128,
    learningRate: 1e-3,
    seed: 1,
    // Created after the first step, as a user's loop would (a flow with ActNorm initialises on that batch).
    onStep: (step, loss) => {
      monitor ??= counted(
        () =>
          new TrainingMonitor(flow, { data, dir, name: id, everySteps: 25, onAlert: (a) => alerts.push(a) }),
      );
      counted(() => monitor!.step(step, loss));
    },
  });
  counted(() => monitor!.end());
  for (const b of flow.blocks) for (const w of b.weights) w.dispose();
  return { file: monitor!.file, run: parseRunFile(readFileSync(monitor!.file, 'utf8')), alerts, leaked };
}

/** The largest reconstruction error over the sweep's scales; Infinity when some input gave NaN/Inf. */
function worstReconstruction(run: RunFile, k: number): number {
  return Math.max(...run.measurements[k]!.reconstruction.map((r) => r.max ?? Infinity));
}

/** The largest inverse lower bound over blocks, at the data or (offData) at 2x the data; Infinity for NaN/Inf. */
function largestInverse(run: RunFile, k: number, offData = false): number {
  return Math.max(
    ...run.measurements[k]!.blocks.filter((b) => b.inverse).map(
      (b) => (offData ? inverseOffData(b) : b.inverse!.value) ?? Infinity,
    ),
  );
}

/** How much the largest inverse lower bound grew from the first measurement to the last. */
function inverseGrowth(run: RunFile, offData: boolean): number {
  return largestInverse(run, run.measurements.length - 1, offData) / largestInverse(run, 0, offData);
}

function capture(): { io: Parameters<typeof runMonitor>[1]; out: () => string } {
  let text = '';
  return {
    io: { cwd: process.cwd(), stdout: (t) => (text += t), stderr: (t) => (text += t) },
    out: () => text,
  };
}

describe('training monitor on the toy flows', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-monitor-'));
  let affine: Trained;
  let additive: Trained;
  before(async () => {
    await selectBackend({ prefer: 'wasm' });
    const data = toyData(1024, 1);
    affine = train('affine-exp', dir, data);
    additive = train('additive-certified', dir, data);
    data.dispose();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('frees every tensor it made', () => {
    assert.equal(affine.leaked, 0);
    assert.equal(additive.leaked, 0);
  });

  it('writes a header, a measurement every 25 steps and an end line', () => {
    const { run } = affine;
    assert.equal(run.header.version, RUN_FILE_VERSION);
    assert.equal(run.header.model, 'affine-exp');
    assert.deepEqual(
      run.measurements.map((m) => m.step),
      [...Array.from({ length: 12 }, (_, i) => 25 * i), STEPS - 1],
    );
    assert.equal(run.end?.reason, 'finished');
    // Permutations have no weights: in the first record only.
    assert.equal(run.measurements[0]!.blocks.length, 8);
    assert.equal(run.measurements[1]!.blocks.length, 4);
    const block = run.measurements[1]!.blocks[0]!;
    assert.equal(block.inverse!.kind, 'lower-bound');
    assert.equal(block.inverse!.totalIterations, 2 * block.inverse!.iterations);
    assert.deepEqual(
      block.inverseOutOfDistribution!.map((e) => e.scale),
      [2],
    );
  });

  it("the affine-exp flow's out-of-distribution error and inverse grow; it alerts once", () => {
    const { run } = affine;
    const last = run.measurements.length - 1;
    assert.ok(worstReconstruction(run, 0) < 1e-5, `start ${worstReconstruction(run, 0)}`);
    assert.equal(worstReconstruction(run, last), Infinity, 'NaN/Inf out of distribution at the end');
    // At the data the inverse lower bounds grow a few times, the additive coupling's too (its t gains slope); at
    // twice the data's scale the affine-exp flow's grow tens of times, far faster than the additive flow's.
    const growth = inverseGrowth(run, true);
    assert.ok(inverseGrowth(run, false) > 2, `at the data: ${inverseGrowth(run, false)}`);
    assert.ok(growth > 20, `at 2x: ${growth}`);
    assert.ok(
      growth > 5 * inverseGrowth(additive.run, true),
      `additive at 2x: ${inverseGrowth(additive.run, true)}`,
    );
    assert.equal(affine.alerts.length, 1);
    assert.equal(affine.alerts[0]!.quantity, 'reconstruction');
    assert.deepEqual(run.alerts, affine.alerts);
  });

  it("the certified additive flow's inverse constants stay within 2x of their start; no alert", () => {
    const { run } = additive;
    const first = new Map(run.measurements[0]!.blocks.map((b) => [b.name, b.inverse!.value!]));
    const last = run.measurements[run.measurements.length - 1]!;
    assert.deepEqual(
      last.blocks.map((b) => b.name),
      ['additive_0', 'additive_1', 'additive_2', 'additive_3'],
    );
    let grew = 0;
    for (const m of run.measurements)
      for (const b of m.blocks) {
        const ratio = b.inverse!.value! / first.get(b.name)!;
        assert.ok(ratio <= 2, `${b.name} at step ${m.step}: ${first.get(b.name)} -> ${b.inverse!.value}`);
        // And within the certificate: a lower bound may not exceed the block's proven 1 + 1.
        assert.ok(b.inverse!.value! <= 2 * (1 + 1e-3), `${b.name}: ${b.inverse!.value} above its bound 2`);
        grew = Math.max(grew, ratio);
      }
    // It did train: the conditioners moved off the identity the zero init starts from.
    assert.ok(grew > 1.1, `largest growth ${grew}`);
    // Its round trips stay at float32 rounding at every scale, up to 16x the data (the affine-exp flow's reach NaN).
    for (let k = 0; k < run.measurements.length; k++)
      assert.ok(
        worstReconstruction(run, k) < 1e-5,
        `step ${run.measurements[k]!.step}: ${worstReconstruction(run, k)}`,
      );
    assert.deepEqual(additive.alerts, []);
    assert.deepEqual(run.alerts, []);
  });

  it('the CLI exits 1 for the affine-exp run, 0 for the additive one, and honours its thresholds', async () => {
    const a = capture();
    assert.equal(await runMonitor([affine.file], a.io), 1);
    assert.match(a.out(), /THRESHOLD CROSSED[\s\S]*reconstruction error above 0\.01/);
    const b = capture();
    assert.equal(await runMonitor([additive.file], b.io), 0, b.out());
    assert.match(b.out(), /no threshold crossed/);
    // The additive couplings' inverses grow (within their bound 2) while they fit the data: a strict CI
    // threshold catches it.
    const c = capture();
    assert.equal(await runMonitor([additive.file, '--inverse-threshold', '1.1'], c.io), 1);
  });

  it(
    'writes the run as a standalone page that renders its charts and the alert',
    { skip: !existsSync(CHROMIUM) && !process.env.CI },
    async () => {
      const html = join(dir, 'run.html');
      assert.equal(await runMonitor([affine.file, '--html', html], capture().io), 1);
      const text = readFileSync(html, 'utf8');
      assert.ok(text.includes(`id="${EMBEDDED_RUN_ID}"`));
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
        const violations: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy/.test(m.text())) violations.push(m.text());
        });
        await page.goto(`file://${html}`);
        // A string: this project's tsconfig for core has no DOM types.
        await page.waitForFunction("document.querySelectorAll('canvas').length >= 3");
        assert.equal(await page.locator('[data-testid=run-blocks] tr[data-block]').count(), 8);
        assert.match((await page.locator('[data-testid=run-verdict]').textContent())!, /Threshold crossed/);
        assert.match(
          (await page.locator('[data-testid=run-alerts]').textContent())!,
          /reconstruction error NaN\/Inf/,
        );
        assert.deepEqual(violations, []);
      } finally {
        await browser.close();
      }
    },
  );

  it('reads a file being written up to its last complete line, and refuses other versions', () => {
    const text = readFileSync(affine.file, 'utf8');
    const cut = text.indexOf('\n', text.indexOf('"measurement"')) + 20;
    const partial = parseRunFile(text.slice(0, cut));
    assert.equal(partial.measurements.length, 1);
    assert.equal(partial.partialBytes, 19);
    assert.equal(partial.end, undefined);
    const lines = text.split('\n');
    const broken = [lines[0], lines[1]!.replace('"forward":', '"fwd":'), ''].join('\n');
    assert.throws(
      () => parseRunFile(broken),
      (e: unknown) => e instanceof RunFileError && /line 2: a block needs name, forward/.test(e.message),
    );
    const newer = text.replace(`"version":${RUN_FILE_VERSION}`, '"version":3');
    assert.throws(
      () => parseRunFile(newer),
      (e: unknown) => e instanceof RunFileError && /version 3/.test(e.message),
    );
  });
});
