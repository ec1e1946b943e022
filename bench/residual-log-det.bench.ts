/**
 * Cost and spread of the i-ResNet log-det modes in maximum-likelihood training. Run:
 * `npx tsx bench/residual-log-det.bench.ts [--backend cpu|wasm]`.
 * Per configuration (width d, hidden layer 2d, batch 64, c = 0.9, ELU): the median time of one Adam step on the
 * NLL over 3 rounds of 10 steps, and for the series the per-example variance of one call's estimate measured over
 * 30 calls at fixed weights, next to the proven bound lastLogDetReport() gives and the expected number of terms.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../core/src/backend/select-backend';
import { InvertibleResidual } from '../core/src/layers/invertible-residual';

const backendArg = process.argv.indexOf('--backend');
const prefer = backendArg >= 0 ? (process.argv[backendArg + 1] as 'cpu' | 'wasm') : 'wasm';

const CONFIGS: { d: number; logDet: 'exact' | 'series'; probes: number }[] = [
  { d: 8, logDet: 'exact', probes: 1 },
  { d: 8, logDet: 'series', probes: 1 },
  { d: 16, logDet: 'exact', probes: 1 },
  { d: 16, logDet: 'series', probes: 1 },
  { d: 32, logDet: 'series', probes: 1 },
  { d: 32, logDet: 'series', probes: 4 },
  { d: 64, logDet: 'series', probes: 1 },
];
const BATCH = 64;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const choice = await selectBackend({ prefer });
  console.log(`backend ${choice.kind}; batch ${BATCH}, hidden 2d, c = 0.9, elu`);
  for (const { d, logDet, probes } of CONFIGS) {
    const layer = new InvertibleResidual({
      hiddenUnits: [2 * d],
      logDet,
      hutchinsonSamples: probes,
      seed: 1,
    });
    layer.build([null, d]);
    const x = tf.randomNormal([BATCH, d], 0, 1, 'float32', 3);
    const optimizer = tf.train.adam(0.01);
    const nll = (): tf.Scalar =>
      tf.mean(
        tf.sub(
          tf.mul(0.5, tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor), 1)),
          layer.logDetJacobian(x),
        ),
      );
    const step = (): void => optimizer.minimize(nll, true)?.dispose();
    step();
    const rounds: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) step();
      rounds.push((performance.now() - t0) / 10);
    }
    let line = `d=${d} ${logDet}${logDet === 'series' ? ` probes=${probes}` : ''}: ${median(rounds).toFixed(1)} ms/step`;
    if (logDet === 'series') {
      const calls = Array.from({ length: 30 }, () => tf.tidy(() => layer.logDetJacobian(x).dataSync()));
      let variance = 0;
      for (let b = 0; b < BATCH; b++) {
        const mean = calls.reduce((s, c) => s + c[b]!, 0) / calls.length;
        variance += calls.reduce((s, c) => s + (c[b]! - mean) ** 2, 0) / (calls.length - 1) / BATCH;
      }
      const report = layer.lastLogDetReport();
      if (report.mode === 'series') {
        line +=
          `; variance/example ${variance.toExponential(2)} measured, ${report.varianceBound.toExponential(2)} ` +
          `proven bound (certified L ${report.lipschitz.toFixed(3)}); E[terms] ${report.expectedTerms.toFixed(1)}`;
      }
    }
    console.log(line);
    optimizer.dispose();
    x.dispose();
  }
}

void main();
