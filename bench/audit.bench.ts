/**
 * Audit cost and spectral-method comparison. Run: `npx tsx bench/audit.bench.ts [--backend cpu|wasm]`.
 * Prints, per reference model, one plain forward pass, the full audit's wall time, its counted passes as
 * forward-equivalents and the ratios wall / one forward and wall / (equivalents x one forward) (above 1: time
 * the passes do not explain); for power iteration vs Golub-Kahan-Lanczos the Jacobian products needed to reach
 * 1% and 0.1% of the true largest singular value (truth from an explicit Jacobian's SVD at each point); and the
 * standard audit of examples/glow.ts run as the CLI runs it (its request from parseAuditArgs, the probe worker),
 * with its wall time.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../core/src/backend/select-backend';
import { parseAuditArgs } from '../core/src/cli/audit';
import { AdditiveCoupling } from '../core/src/layers/additive-coupling';
import { AffineCoupling } from '../core/src/layers/affine-coupling';
import { Flow } from '../core/src/layers/flow';
import { InvertibleResidual } from '../core/src/layers/invertible-residual';
import { Permutation } from '../core/src/layers/permutation';
import { singularValues } from '../core/src/linalg/matrix64';
import { toProbeTarget } from '../core/src/probes/adapt';
import { explicitJacobian, jacobianAt } from '../core/src/probes/jacobian';
import { loadModel } from '../core/src/probes/load-model';
import { PROBE_IDS } from '../core/src/probes/probe';
import { Rng } from '../core/src/probes/rng';
import { runAudit } from '../core/src/probes/run-audit';
import { runProbes } from '../core/src/probes/run-probes';
import { largestSingularValues, type SpectralMethod } from '../core/src/probes/spectral';
import { emptyPasses, flatMaps, type ProbeTarget, type Tensor2D } from '../core/src/probes/target';
import type { PassCount, ProbeResult } from '../core/src/report/schema';

const POINTS = 16;

function linear(d: number): ProbeTarget {
  // A diagonal map in a rotated basis with a slowly decaying spectrum: hard for power iteration (gap 0.95).
  const s = Array.from({ length: d }, (_, i) => 0.95 ** i * 4);
  const rng = new Rng(9);
  const q = tf.tidy(() => tf.linalg.qr(tf.tensor2d(rng.normals(d * d), [d, d]))[0]);
  const a = tf.tidy(() => tf.matMul(tf.mul(q, tf.tensor1d(s)), q, false, true));
  const inv = tf.tidy(() => tf.matMul(tf.div(q, tf.tensor1d(s)), q, false, true));
  return {
    name: `linear-${d}`,
    inputShape: [d],
    forward: (x) => tf.matMul(x as Tensor2D, a, false, true),
    inverse: (y) => tf.matMul(y as Tensor2D, inv, false, true),
  };
}

function flows(d: number): ProbeTarget[] {
  const mk = (name: string, blocks: ConstructorParameters<typeof Flow>[0]): ProbeTarget =>
    toProbeTarget(tf, new Flow(blocks), name, [d]);
  return [
    mk('additive-flow', [
      new AdditiveCoupling({ hiddenUnits: 32, zeroInit: false, seed: 1 }),
      new Permutation({ seed: 2 }),
      new AdditiveCoupling({ hiddenUnits: 32, zeroInit: false, seed: 3 }),
    ]),
    mk('affine-exp-flow', [
      new AffineCoupling({ scale: 'exp', hiddenUnits: 32, zeroInit: false, seed: 1 }),
      new Permutation({ seed: 2 }),
      new AffineCoupling({ scale: 'exp', hiddenUnits: 32, zeroInit: false, seed: 3 }),
    ]),
    mk(
      'i-resnet',
      [1, 2, 3].map((seed) => new InvertibleResidual({ hiddenUnits: [32], coeff: 0.9, seed })),
    ),
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeForward(target: ProbeTarget, x: tf.Tensor): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const y = target.forward(x);
    y.dataSync();
    y.dispose();
    times.push(performance.now() - t0);
  }
  return median(times.slice(2));
}

async function compareMethods(target: ProbeTarget, x: Tensor2D): Promise<string[]> {
  const passes = emptyPasses();
  const maps = flatMaps(tf, target, passes);
  const dOut = maps.outputShape.reduce((a, b) => a * b, 1);
  const truth: number[] = [];
  for (let i = 0; i < x.shape[0]; i++) {
    const p = x.slice([i, 0], [1, x.shape[1]]) as Tensor2D;
    truth.push(singularValues(explicitJacobian(tf, maps.forward, p, dOut, passes))[0]!);
    p.dispose();
  }
  const lines: string[] = [];
  for (const method of ['power', 'lanczos'] as SpectralMethod[]) {
    const reached: Record<string, number> = { '1e-2': NaN, '1e-3': NaN };
    const t0 = performance.now();
    await largestSingularValues(tf, jacobianAt(tf, maps.forward, x, dOut, passes), new Rng(1), {
      method,
      maxIter: 300,
      tol: 0,
      onEstimate: (it, est) => {
        const worst = Math.max(...est.map((s, i) => Math.abs(s - truth[i]!) / truth[i]!));
        // Products per iteration: 2 for both methods (one J v, one J^T u).
        for (const k of Object.keys(reached))
          if (Number.isNaN(reached[k]) && worst <= Number(k)) reached[k] = 2 * it;
      },
      shouldStop: () => !Number.isNaN(reached['1e-3']!),
    });
    const ms = performance.now() - t0;
    lines.push(
      `    ${method.padEnd(8)} products to 1%: ${String(reached['1e-2']).padStart(4)}, to 0.1%: ${String(reached['1e-3']).padStart(4)}  (${ms.toFixed(0)} ms until 0.1%)`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const want = process.argv.includes('--backend')
    ? process.argv[process.argv.indexOf('--backend') + 1]
    : 'wasm';
  const choice = await selectBackend({ prefer: want === 'cpu' ? 'cpu' : 'wasm' });
  console.log(`backend: ${choice.kind}; ${POINTS} points per batch`);
  const d = 32;
  const targets = [linear(d), ...flows(d)];
  const summaries: string[] = [];
  for (const target of targets) {
    const x = tf.tensor2d(new Rng(3).normals(POINTS * d), [POINTS, d]);
    target.forward(x).dispose(); // builds lazily-built layers before timing
    const fwdMs = timeForward(target, x);
    console.log(`\n${target.name}: one forward pass of the batch ${fwdMs.toFixed(2)} ms`);
    // Every layer here has its gradients on wasm (core/src/layers/portable-ops.ts): no cpu detour.
    for (const line of await compareMethods(target, x)) console.log(line);
    const t0 = performance.now();
    const results = await runProbes(target, x, {
      tf,
      probes: PROBE_IDS,
      seed: 1,
      deadline: Date.now() + 600_000,
    });
    const total = performance.now() - t0;
    printProbes(results, fwdMs);
    summaries.push(summarize(target.name, total, fwdMs, results));
    x.dispose();
  }
  summaries.push(await glowAsTheCliRunsIt());
  console.log('\nper model: wall time, counted passes and their ratios');
  for (const line of summaries) console.log(`  ${line}`);
}

/** A backward pass costs about two forward passes; an inverse about one (more for fixed-point inverses). */
function equivalents(p: PassCount): number {
  return p.forward + p.inverse + 3 * p.backward;
}

function printProbes(results: readonly ProbeResult[], fwdMs: number): void {
  for (const r of results)
    console.log(
      `    ${r.id.padEnd(18)} ${r.status.padEnd(8)} ${String(r.durationMs).padStart(6)} ms = ${(r.durationMs / fwdMs).toFixed(0).padStart(6)} forward-times   passes f/i/b ${r.passes.forward}/${r.passes.inverse}/${r.passes.backward}`,
    );
}

function summarize(name: string, wallMs: number, fwdMs: number, results: readonly ProbeResult[]): string {
  const total = emptyPasses();
  for (const r of results) {
    total.forward += r.passes.forward;
    total.inverse += r.passes.inverse;
    total.backward += r.passes.backward;
  }
  const eq = equivalents(total);
  return `${name.padEnd(16)} wall ${(wallMs / 1000).toFixed(2).padStart(6)} s  passes f/i/b ${total.forward}/${total.inverse}/${total.backward} = ${eq} forward-equivalents (backward as 3)  one forward ${fwdMs.toFixed(2)} ms  wall/forward ${(wallMs / fwdMs).toFixed(0)}  wall/(equivalents x forward) ${(wallMs / (eq * fwdMs)).toFixed(2)}`;
}

/**
 * examples/glow.ts as `lipschitz-lens audit examples/glow.ts` runs it: the request from parseAuditArgs, the probe
 * worker (from source, through tsx), the default probes and settings; its wall time includes loading the model.
 * One forward pass is timed in this process on the model loadModel builds from the same request.
 */
async function glowAsTheCliRunsIt(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'lens-bench-'));
  try {
    const { request } = parseAuditArgs([join(__dirname, '../examples/glow.ts'), '--out', out]);
    const loaded = await loadModel(request);
    const glow = toProbeTarget(loaded.resolved.tf, loaded.value, 'glow', request.inputShape);
    const x = tf.randomNormal([POINTS, ...glow.inputShape]);
    glow.forward(x).dispose();
    const fwdMs = timeForward(glow, x);
    x.dispose();
    const t0 = performance.now();
    const report = await runAudit(request);
    const wall = performance.now() - t0;
    console.log(
      `\nexamples/glow.ts as the CLI runs it (worker on ${report.backend?.name ?? 'unknown'}): wall ${(wall / 1000).toFixed(2)} s, one forward ${fwdMs.toFixed(2)} ms, verdict ${report.status}, findings ${report.findings.map((f) => `${f.severity} ${f.code ?? f.probe}`).join(', ') || 'none'}`,
    );
    printProbes(report.probes, fwdMs);
    return summarize('examples/glow.ts', wall, fwdMs, report.probes);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

void main();
