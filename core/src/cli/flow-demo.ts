import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend, type SelectBackendOptions } from '../backend/select-backend';
import { plural } from '../report/plural';
import {
  ActNorm,
  AdditiveCoupling,
  AffineCoupling,
  type AffineScale,
  Flow,
  InvertibleLinear,
  InvertibleResidual,
  Permutation,
  SeededRandom,
} from '../layers';
import { type CliIo, EXIT_OK, UsageError } from './io';

const DIM = 8;
const BATCH = 256;
const SCALES = [1, 10, 100, 1000];

/** The bundled flow: every kind of block the library offers, with bounded scales. */
function buildFlow(scale: AffineScale): Flow {
  return new Flow([
    new ActNorm({ name: 'actnorm', scaleBound: 10 }),
    new InvertibleLinear({ name: 'lu_linear', seed: 1 }),
    new AffineCoupling({ name: `affine_${scale}`, scale, hiddenUnits: 32, zeroInit: false, seed: 2 }),
    new Permutation({ name: 'reverse', mode: 'reverse' }),
    new AdditiveCoupling({ name: 'additive', hiddenUnits: 32, zeroInit: false, seed: 3 }),
    new InvertibleResidual({
      name: 'iresnet',
      hiddenUnits: [32, 32],
      coeff: 0.7,
      activation: 'elu',
      seed: 4,
    }),
  ]);
}

function normal(rows: number, seed: number, scale = 1): tf.Tensor2D {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * DIM);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * scale;
  return tf.tensor2d(data, [rows, DIM]);
}

/** Largest |F^-1(F(x)) - x| relative to |x|, over the batch; NaN/Inf count as Infinity. */
function reconstructionError(flow: Flow, x: tf.Tensor): number {
  return tf.tidy(() => {
    const back = flow.inverse(flow.forward(x));
    const num = tf.norm(tf.sub(back, x), 'euclidean', 1);
    const den = tf.norm(x, 'euclidean', 1);
    const rel = Array.from(tf.div(num, den).dataSync());
    return rel.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, v) : Infinity), 0);
  });
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/**
 * Builds the bundled flow, initialises it on data, inverts it and prints what each layer reports: the
 * README's first command. A second flow with Glow's unbounded `exp` scale shows the inverse exploding as
 * inputs leave the data's range, the failure the paper describes.
 */
export async function runFlowDemo(args: string[], io: CliIo): Promise<number> {
  let prefer: SelectBackendOptions['prefer'] = 'auto';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--backend') {
      const value = args[++i];
      if (
        value !== 'auto' &&
        value !== 'wasm' &&
        value !== 'cpu' &&
        value !== 'tfjs-node' &&
        value !== 'tfjs-node-gpu'
      )
        throw new UsageError(`--backend takes auto, tfjs-node-gpu, tfjs-node, wasm or cpu, got '${value}'`);
      prefer = value;
    } else throw new UsageError(`unknown option '${args[i]}'`);
  }
  const backend = await selectBackend({ prefer });
  io.stdout(`${describeBackend(backend)}\n`);
  for (const note of backend.notes) io.stdout(`  (${note})\n`);

  const bounded = buildFlow('bounded-tanh');
  const unbounded = buildFlow('exp');
  const data = normal(BATCH, 7);
  bounded.initialize(data);
  unbounded.initialize(data);

  io.stdout(
    `\nFlow on R^${DIM}, ${bounded.blocks.length} blocks, initialised on ${BATCH} standard normal points\n\n`,
  );
  io.stdout(
    `  ${'block'.padEnd(20)} ${'class'.padEnd(20)} ${'Lip(F) <='.padStart(10)} ${'Lip(F^-1) <='.padStart(13)}\n`,
  );
  for (const block of bounded.blocks) {
    const { forward, inverse } = block.lipschitzBounds();
    const cls = (block.constructor as { className?: string }).className ?? block.getClassName();
    io.stdout(
      `  ${block.name.padEnd(20)} ${cls.padEnd(20)} ${fmt(forward).padStart(10)} ${fmt(inverse).padStart(13)}\n`,
    );
  }
  const total = bounded.lipschitzBounds();
  io.stdout(
    `  ${'whole flow'.padEnd(41)} ${fmt(total.forward).padStart(10)} ${fmt(total.inverse).padStart(13)}\n`,
  );

  const { y, logDet } = bounded.forwardWithLogDet(data);
  const x = bounded.inverse(y);
  const err = tf.tidy(() => tf.max(tf.abs(tf.sub(x, data))).dataSync()[0]!);
  const ld = Array.from(logDet.dataSync());
  io.stdout(`\nforward -> inverse on the data: max |x - F^-1(F(x))| = ${fmt(err)}\n`);
  io.stdout(`log|det J| per point: mean ${fmt(ld.reduce((a, b) => a + b, 0) / ld.length)}\n`);
  for (const { layer, report } of bounded.inverseReports()) {
    io.stdout(
      `${layer}: fixed-point inverse took ${plural(report.iterations, 'iteration')}, residual ${fmt(report.residual)}` +
        `${report.converged ? '' : ' (not converged)'}\n`,
    );
  }
  tf.dispose([y, logDet, x]);

  io.stdout(`\nRelative reconstruction error as inputs leave the data's range (scale x standard normal):\n`);
  io.stdout(`  ${'scale'.padStart(6)} ${'bounded-tanh'.padStart(14)} ${'exp (Glow-style)'.padStart(18)}\n`);
  for (const scale of SCALES) {
    const probe = normal(64, 11, scale);
    io.stdout(
      `  ${String(scale).padStart(6)} ${fmt(reconstructionError(bounded, probe)).padStart(14)} ` +
        `${fmt(reconstructionError(unbounded, probe)).padStart(18)}\n`,
    );
    probe.dispose();
  }
  data.dispose();
  return EXIT_OK;
}
