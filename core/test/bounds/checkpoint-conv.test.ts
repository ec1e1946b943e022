import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Matrix as MlMatrix, SingularValueDecomposition } from 'ml-matrix';
import { CheckpointCache, computeBounds } from '../../src/bounds';
import {
  type Checkpoint,
  checkpointNorms,
  convKernelBound,
  type KernelNorm,
  readCheckpoint,
} from '../../src/bounds/checkpoint';
import { extractSource } from '../../src/extract';
import { singularValues } from '../../src/linalg/matrix64';
import { type ConvCase, convMatrix } from '../linalg/conv-operator';
import { randomValues, writeCheckpoint } from './checkpoint-fixture';

const dir = mkdtempSync(join(tmpdir(), 'll-ckpt-conv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const k3 = randomValues(3 * 3 * 2 * 3, 11);
const k5 = randomValues(5 * 5 * 1 * 2, 12);
const dense = randomValues(7 * 4, 13);
const path = writeCheckpoint(dir, [
  { name: 'conv2d_Conv2D1/kernel', shape: [3, 3, 2, 3], values: k3 },
  { name: 'conv2d_Conv2D1/bias', shape: [3], values: randomValues(3, 14) },
  { name: 'conv2d_Conv2D2/kernel', shape: [5, 5, 1, 2], values: k5 },
  { name: 'dense_Dense1/kernel', shape: [7, 4], values: dense },
]);

// The temporary folder is the workspace: checkpoints are only read inside the allowed roots.
const policy = { roots: [dir] };
let ckpt: Checkpoint;
let norms: KernelNorm[];
let denseNorms: KernelNorm[];
before(async () => {
  ckpt = (await readCheckpoint(path, policy)).checkpoint;
  ({ dense: denseNorms, conv: norms } = await checkpointNorms(ckpt));
});

function trueNorm(c: ConvCase): number {
  return singularValues(convMatrix(c))[0]!;
}

describe('checkpoint conv kernels: operator norm as applied, certified', () => {
  const kernels = (): Checkpoint['weights'] => ckpt.weights.filter((w) => w.shape.length === 4);

  it('lists the conv kernels in manifest order, apart from the dense ones', () => {
    assert.deepEqual(
      norms.map((n) => n.name),
      ['conv2d_Conv2D1/kernel', 'conv2d_Conv2D2/kernel'],
    );
    assert.deepEqual(
      denseNorms.map((n) => n.name),
      ['dense_Dense1/kernel'],
    );
  });

  it('the size-free bound holds for every input size, padding and stride tried', () => {
    const ratios: string[] = [];
    kernels().forEach((w, i) => {
      const kernel = { shape: w.shape as [number, number, number, number], data: w.values };
      let worst = 0;
      for (const size of [5, 8, 13])
        for (const padding of ['same', 'valid'] as const)
          for (const stride of [1, 2]) {
            const c: ConvCase = { kernel, inputSize: [size, size], strides: [stride, stride], padding };
            const sigma = trueNorm(c);
            assert.ok(norms[i]!.sigma! >= sigma * (1 - 1e-12), `${w.name} ${size} ${padding} ${stride}`);
            const asApplied = convKernelBound(kernel, {
              inputSize: [size, size],
              strides: [stride, stride],
              padding,
            });
            assert.ok(asApplied >= sigma * (1 - 1e-12) && asApplied <= norms[i]!.sigma! * (1 + 1e-12));
            worst = Math.max(worst, sigma);
          }
      ratios.push(
        `${w.name}: size-free bound / largest true norm seen = ${(norms[i]!.sigma! / worst).toFixed(4)}`,
      );
    });
    console.log(ratios.join('\n'));
  });

  it('is below the reshaped-kernel route where that is loose, and tight on a 16x16 input', () => {
    const w = kernels()[1]!; // 5x5, 1 -> 2 channels
    const kernel = { shape: w.shape as [number, number, number, number], data: w.values };
    const sigma16 = trueNorm({ kernel, inputSize: [16, 16], strides: [1, 1], padding: 'same' });
    const reshaped = new MlMatrix(25, 2);
    for (let r = 0; r < 25; r++) for (let c = 0; c < 2; c++) reshaped.set(r, c, w.values[r * 2 + c]!);
    const reshapedNorm = Math.max(...new SingularValueDecomposition(reshaped).diagonal);
    // ||conv|| <= sqrt(kh kw) ||reshaped kernel||: the inequality holds, but it is 5x here at worst.
    assert.ok(5 * reshapedNorm >= sigma16);
    const bound = norms[1]!.sigma!;
    console.log(
      `5x5 kernel: size-free bound ${bound.toFixed(4)}, 16x16 'same' true ${sigma16.toFixed(4)}, ` +
        `5 ||reshaped|| ${(5 * reshapedNorm).toFixed(4)}`,
    );
    assert.ok(bound >= sigma16 && bound <= sigma16 * 1.25, `${bound} vs ${sigma16}`);
  });

  it('dense kernels: the certified bound is >= the SVD and within 1e-10', () => {
    const m = new MlMatrix(7, 4);
    const f32 = Array.from(new Float32Array(dense));
    for (let r = 0; r < 7; r++) for (let c = 0; c < 4; c++) m.set(r, c, f32[r * 4 + c]!);
    const sigma = Math.max(...new SingularValueDecomposition(m).diagonal);
    const bound = denseNorms[0]!.sigma!;
    assert.ok(bound >= sigma * (1 - 1e-14) && bound <= sigma * (1 + 1e-10), `${bound} vs ${sigma}`);
  });
});

describe('the bound calculus reads conv kernels from a checkpoint', () => {
  it('each conv layer gets its kernel operator-norm bound, in order; dense layers their Gram bound', async () => {
    const src = `import * as tf from '@tensorflow/tfjs';
/** @checkpoint ${path} */
export const net = tf.sequential({ layers: [
  tf.layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [8, 8, 2] }),
  tf.layers.conv2d({ filters: 2, kernelSize: 5 }),
  tf.layers.flatten(),
  tf.layers.dense({ units: 4 }),
] });`;
    const ir = extractSource(src, join(dir, 'net.ts'));
    const cache = new CheckpointCache(policy);
    await cache.load(path);
    const bounds = computeBounds(ir, { checkpoints: (p) => cache.peek(p) });
    const layers = ir.models[0]!.body.children;
    assert.equal(bounds.get(layers[0]!.id)!.forward, norms[0]!.sigma);
    assert.equal(bounds.get(layers[1]!.id)!.forward, norms[1]!.sigma);
    assert.equal(bounds.get(layers[3]!.id)!.forward, denseNorms[0]!.sigma);
    assert.match(bounds.get(layers[0]!.id)!.source, /conv2d_Conv2D1\/kernel/);
  });
});
