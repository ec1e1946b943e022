/**
 * The full bound property run (issue 10): 200 random configurations per layer type, the true local Lipschitz
 * constants (explicit Jacobian, float64 SVD, at 1x/10x/100x the data scale, forward and inverse) against each
 * layer's lipschitzBounds() and the static calculus. Prints per type the configurations, the violations, the
 * tightest ratio true / bound, and every violated bound with its worst ratio and configuration.
 * Run: npx tsx bench/bounds.bench.ts [configs per type, default 200] [points per scale, default 2] [type filter]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { casesOf, GENERATORS } from '../core/test/properties/cases';
import {
  formatSummaries,
  leaked,
  MARGIN,
  runCase,
  summarise,
  type TypeSummary,
} from '../core/test/properties/harness';

const SEED = 20261129;

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const count = Number(process.argv[2] ?? 200);
  const points = Number(process.argv[3] ?? 2);
  const filter = process.argv[4];
  const summaries: TypeSummary[] = [];
  const started = performance.now();
  GENERATORS.forEach((generator, g) => {
    const cases = casesOf(generator, count, SEED + g);
    const type = cases[0]!.type;
    if (filter !== undefined && !type.includes(filter)) return;
    const t0 = performance.now();
    const results = cases.map((c, i) => runCase(c, points, SEED + 1000 * i));
    summaries.push(summarise(type, results));
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(formatSummaries([summaries[summaries.length - 1]!]) + ` [${seconds} s]`);
  });
  console.log(`\n=== ${count} configs per type, ${points} points per scale, margin ${MARGIN} ===`);
  console.log(formatSummaries(summaries));
  console.log(`tensors left by the layers, per type: ${JSON.stringify(Object.fromEntries(leaked))}`);
  console.log(
    `total ${((performance.now() - started) / 1000).toFixed(1)} s, tensors alive ${tf.memory().numTensors}`,
  );
}

void main();
