/**
 * Certified spectral norms: tightness and cost. Run: `npx tsx bench/certify.bench.ts`.
 * Per layer type, the certified bound (Gram iteration for dense kernels; for conv2d as applied, the frequency
 * bound and the bound the layer uses), the true value (float64 SVD by ml-matrix: of the kernel, or of the explicit
 * conv operator on a small grid), their ratio, and the time of certification against plain power iteration
 * (float64 to 1e-12, and the tfjs power iteration the layers run). Prints figures, asserts nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';
import { SeededRandom } from '../core/src/layers/seeded-random';
import { convOperatorNorm, denseSpectralNorm } from '../core/src/layers/spectral-norm';
import {
  convBoundAllSizes,
  convFrequencyBound,
  type ConvKernel64,
  convOperatorBound,
  explicitConvMatrix,
} from '../core/src/linalg/conv-bound';
import { gramSpectralBound } from '../core/src/linalg/gram';
import { type Matrix64, matrix, spectralNorm } from '../core/src/linalg/matrix64';

function svdMax(m: Matrix64): number {
  const a = new MlMatrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) a.set(i, j, m.data[i * m.cols + j]!);
  const svd = new SingularValueDecomposition(a, {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  return Math.max(...svd.diagonal);
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

function row(cells: (string | number)[]): string {
  return cells.map((c) => (typeof c === 'number' ? c.toPrecision(6) : c).toString().padEnd(12)).join(' ');
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const rng = new SeededRandom(1);

  console.log('Dense kernels n x n (Gaussian, and with a near-double top singular value):');
  console.log(
    row([
      'n',
      'kind',
      'true',
      'gram',
      'gram/true',
      'gram ms',
      'steps',
      'pow64/true',
      'pow64 ms',
      'tfjs100/true',
      'tfjs ms',
    ]),
  );
  for (const n of [64, 128, 256, 512]) {
    for (const kind of ['gaussian', 'near-double'] as const) {
      const values = Float64Array.from(rng.normalArray(n * n));
      if (kind === 'near-double') {
        // W + s (u1 v1^T + u2 v2^T) with s large: two top singular values within a fraction of a percent.
        const u = rng.normalArray(2 * n);
        const v = rng.normalArray(2 * n);
        const s = 20 / Math.sqrt(n);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++)
            values[i * n + j]! += s * (u[i]! * v[j]! + u[n + i]! * v[n + j]! * 1.001);
      }
      const w = matrix(n, n, values);
      const truth = svdMax(w);
      const gram = timed(() => gramSpectralBound(w));
      const pow = timed(() => spectralNorm(w));
      const kernel = tf.tensor2d(Array.from(values), [n, n]);
      const tfPow = timed(() => denseSpectralNorm(kernel, 100, 1));
      kernel.dispose();
      console.log(
        row([
          n,
          kind,
          truth,
          gram.value.bound,
          gram.value.bound / truth,
          gram.ms,
          gram.value.iterations,
          pow.value / truth,
          pow.ms,
          tfPow.value / truth,
          tfPow.ms,
        ]),
      );
    }
  }

  console.log('\nConv2D 3x3 kernels (He-scaled Gaussian), as applied on a small input:');
  console.log(
    row([
      'channels',
      'input',
      'geometry',
      'true',
      'layer bnd',
      'ratio',
      'ms',
      'freq bnd',
      'freq ratio',
      'freq ms',
      'any-size',
      'any ratio',
      'tfjs100/true',
      'tfjs ms',
    ]),
  );
  for (const [channels, size] of [
    [16, 6],
    [32, 4],
    [64, 3],
  ] as const) {
    const data = Float64Array.from(
      rng.normalArray(9 * channels * channels),
      (x) => x * Math.sqrt(2 / (9 * channels)),
    );
    const kernel: ConvKernel64 = { shape: [3, 3, channels, channels], data };
    for (const [stride, padding] of [
      [1, 'same'],
      [2, 'same'],
      [1, 'valid'],
    ] as const) {
      const app = {
        inputSize: [size, size] as [number, number],
        strides: [stride, stride] as [number, number],
        padding,
      };
      const truth = svdMax(explicitConvMatrix(kernel, app));
      const layer = timed(() => convOperatorBound(kernel, app));
      const freq = timed(() => convFrequencyBound(kernel, app));
      const any = convBoundAllSizes(kernel, [stride, stride]);
      const k = tf.tensor4d(Array.from(data), kernel.shape);
      const tfPow = timed(() => convOperatorNorm(k, [size, size, channels], stride, padding, 100, 1));
      k.dispose();
      console.log(
        row([
          channels,
          `${size}x${size}`,
          `s${stride} ${padding}`,
          truth,
          layer.value,
          layer.value / truth,
          layer.ms,
          freq.value,
          freq.value / truth,
          freq.ms,
          any,
          any / truth,
          tfPow.value / truth,
          tfPow.ms,
        ]),
      );
    }
  }
  console.log(
    '\nlayer bnd: what SpectralConv2D divides by (min of the frequency bound and, up to 300 rows/cols, the explicit' +
      " operator's Gram bound); freq bnd: circular bound on a grid without wrap-around (tight on large inputs);" +
      ' any-size: the checkpoint bound, valid for every input size and padding.',
  );

  console.log('\nConv2D 3x3 frequency bound on a realistic 32x32 input (truth: not computed, too large):');
  console.log(row(['channels', 'freq bnd', 'freq ms', 'tfjs100', 'tfjs ms', 'bnd/tfjs100']));
  for (const channels of [16, 32, 64]) {
    const data = Float64Array.from(
      rng.normalArray(9 * channels * channels),
      (x) => x * Math.sqrt(2 / (9 * channels)),
    );
    const kernel: ConvKernel64 = { shape: [3, 3, channels, channels], data };
    const app = {
      inputSize: [32, 32] as [number, number],
      strides: [1, 1] as [number, number],
      padding: 'same' as const,
    };
    const freq = timed(() => convFrequencyBound(kernel, app));
    const k = tf.tensor4d(Array.from(data), kernel.shape);
    const tfPow = timed(() => convOperatorNorm(k, [32, 32, channels], 1, 'same', 100, 1));
    k.dispose();
    console.log(row([channels, freq.value, freq.ms, tfPow.value, tfPow.ms, freq.value / tfPow.value]));
  }
}

void main();
