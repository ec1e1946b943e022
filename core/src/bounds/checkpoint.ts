/**
 * Reads a tfjs layers-model checkpoint (model.json + weight shards) with node:fs only: tfjs must not load in
 * the language server. Every file goes through checkpoint-access (regular files inside the allowed roots, size
 * caps), asynchronously. Only float32 weights are decoded; others are skipped with their byte length accounted.
 * Messages never quote the files' content: a weight name is shown only when it looks like one.
 */
import { dirname, join } from 'node:path';
import { convBoundAllSizes, type ConvKernel64, convOperatorBound } from '../linalg/conv-bound';
import { gramSpectralBound } from '../linalg/gram';
import { type Matrix64 } from '../linalg/matrix64';
import {
  type AccessPolicy,
  CheckpointAccessError,
  parseJsonQuietly,
  type ReadLimits,
  readContained,
  STATIC_BOUND_LIMITS,
} from './checkpoint-access';

export interface CheckpointWeight {
  name: string;
  shape: number[];
  /** Row-major values as float64 (float32 in the file). */
  values: Float64Array;
}

export interface Checkpoint {
  path: string;
  weights: CheckpointWeight[];
  /** Entries that could not be decoded (dtype, quantization), for messages. */
  skipped: string[];
}

/**
 * A file the checkpoint was read from (as named, so a retargeted symlink counts as a change), as it was then: the
 * cache compares these to tell a changed checkpoint.
 */
export interface FileStamp {
  path: string;
  mtimeMs: number;
  size: number;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantized: boolean;
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** tfjs weight names (`dense_Dense1/kernel`); anything else is shown by its position, not its text. */
const NAME = /^[\w.:/-]{1,200}$/;

function malformed(path: string, what: string): CheckpointAccessError {
  return new CheckpointAccessError(`${path}: weightsManifest ${what}`);
}

/** The manifest, validated field by field; messages name positions in it, never values. */
function parseManifest(path: string, json: unknown): ManifestGroup[] {
  const manifest = (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) throw new CheckpointAccessError(`${path}: no weightsManifest`);
  let index = 0;
  return manifest.map((g: unknown, gi) => {
    const group = (typeof g === 'object' && g !== null ? g : {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string' && p.length > 0))
      throw malformed(path, `group ${gi + 1} has no list of file paths`);
    if (!Array.isArray(group.weights)) throw malformed(path, `group ${gi + 1} has no list of weights`);
    const weights = group.weights.map((w: unknown): ManifestEntry => {
      index++;
      const e = (typeof w === 'object' && w !== null ? w : {}) as Record<string, unknown>;
      const shape = e.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
        throw malformed(path, `weight #${index} has no valid shape`);
      const raw = typeof e.name === 'string' ? e.name : '';
      // An unprintable name keeps its `/kernel` suffix: that is how kernels are told from biases.
      const name = NAME.test(raw) ? raw : `weight #${index}${raw.endsWith('/kernel') ? '/kernel' : ''}`;
      const dtype = typeof e.dtype === 'string' ? e.dtype : 'float32';
      return { name, shape: shape as number[], dtype, quantized: e.quantization !== undefined };
    });
    return { paths: group.paths as string[], weights };
  });
}

/**
 * Reads and decodes a checkpoint. `policy` says which folders files may come from (weight paths are resolved
 * against model.json's folder and checked again, so `../outside/x.bin` is refused); `limits` caps model.json and
 * the shards together.
 */
export async function readCheckpoint(
  path: string,
  policy: AccessPolicy,
  limits: ReadLimits = STATIC_BOUND_LIMITS,
): Promise<{ checkpoint: Checkpoint; stamps: FileStamp[] }> {
  const modelJson = await readContained(path, policy, limits.modelJsonBytes);
  const stamps: FileStamp[] = [{ path, mtimeMs: modelJson.mtimeMs, size: modelJson.size }];
  const manifest = parseManifest(path, parseJsonQuietly(modelJson.bytes.toString('utf8'), path));
  const weights: CheckpointWeight[] = [];
  const skipped: string[] = [];
  let budget = limits.weightsBytes;
  for (const group of manifest) {
    const buffers: Buffer[] = [];
    for (const p of group.paths) {
      const shardPath = join(dirname(path), p);
      let shard;
      try {
        shard = await readContained(shardPath, policy, budget);
      } catch (e) {
        // Over the remaining budget: say so for the whole checkpoint, not for one shard.
        if (e instanceof CheckpointAccessError && / limit: /.test(e.message) && budget < limits.weightsBytes)
          throw new CheckpointAccessError(
            `${path}: weight files total more than the ${limits.weightsBytes / 2 ** 20} MB limit: not read`,
          );
        throw e;
      }
      budget -= shard.size;
      stamps.push({ path: shardPath, mtimeMs: shard.mtimeMs, size: shard.size });
      buffers.push(shard.bytes);
    }
    const bytes = Buffer.concat(buffers);
    let offset = 0;
    for (const [i, entry] of group.weights.entries()) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const width = BYTES[entry.dtype];
      if (width === undefined || entry.quantized) {
        // Without the byte width the rest of the group cannot be located.
        skipped.push(...group.weights.slice(i).map((e) => e.name));
        break;
      }
      if (offset + count * width > bytes.length)
        throw new CheckpointAccessError(`${path}: weight data too short for ${entry.name}`);
      if (entry.dtype === 'float32') {
        const values = new Float64Array(count);
        for (let k = 0; k < count; k++) values[k] = bytes.readFloatLE(offset + k * 4);
        weights.push({ name: entry.name, shape: entry.shape, values });
      } else {
        skipped.push(entry.name);
      }
      offset += count * width;
    }
  }
  return { checkpoint: { path, weights, skipped }, stamps };
}

/** 2-D kernels (`.../kernel`), in manifest order, as matrices [in, out]. */
export function denseKernels(checkpoint: Checkpoint): { name: string; matrix: Matrix64 }[] {
  return checkpoint.weights
    .filter((w) => w.shape.length === 2 && /kernel$/.test(w.name))
    .map((w) => ({ name: w.name, matrix: { rows: w.shape[0]!, cols: w.shape[1]!, data: w.values } }));
}

export interface KernelNorm {
  name: string;
  /**
   * A certified upper bound of sigma_max (Gram iteration in float64), not an estimate; undefined for a kernel
   * too large to bound in the editor (`why` says so), which keeps its place so layers still match by order.
   */
  sigma?: number;
  why?: string;
}

/** 4-D kernels (`.../kernel`, tfjs layout [kh, kw, cin, cout]), in manifest order. */
export function convKernels(checkpoint: Checkpoint): { name: string; kernel: ConvKernel64 }[] {
  return checkpoint.weights
    .filter((w) => w.shape.length === 4 && /kernel$/.test(w.name))
    .map((w) => ({ name: w.name, kernel: { shape: w.shape as ConvKernel64['shape'], data: w.values } }));
}

/** How a conv kernel is applied, from the layer's config; inputSize when the analysis knows it. */
export interface ConvUse {
  strides?: [number, number];
  padding?: 'same' | 'valid';
  inputSize?: [number, number];
}

/**
 * Certified upper bound of the operator norm of conv2d by `kernel` as applied (not of the reshaped kernel):
 * with a known input size, the bound for that size, stride and padding; otherwise one that holds for every
 * input size and padding (the infinite-grid norm, see linalg/conv-bound.ts), with the stride if known.
 */
export function convKernelBound(kernel: ConvKernel64, use: ConvUse = {}): number {
  const strides = use.strides ?? [1, 1];
  if (use.inputSize !== undefined)
    return convOperatorBound(kernel, { inputSize: use.inputSize, strides, padding: use.padding ?? 'valid' });
  return convBoundAllSizes(kernel, strides);
}

/** Certified bounds of a checkpoint's kernels, in manifest order: 2-D (Gram) and conv (operator norm). */
export interface CheckpointNorms {
  dense: KernelNorm[];
  /**
   * For every input size, padding and stride (stride 1 bounds the strided ones too: a stride only drops
   * outputs). A caller that knows a layer's stride and input size gets a tighter bound from convKernelBound.
   */
  conv: KernelNorm[];
}

/** Lets pending I/O and requests run between kernels: one large kernel's bound can take a while. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The largest kernel bounded, as rows x cols x min(rows, cols) for dense kernels and cin x cout x min(cin, cout)
 * for conv ones (what the Gram steps cost). One kernel runs without a break (about 1.8 s at the limit on this
 * machine: dense 512 x 512, conv 3x3x64x64; 1024 x 1024 takes 16 s): larger ones would hold the analysis for
 * that long, and past its hang limit have it restarted, over and over. Their layers stay unknown, with a note.
 */
export const KERNEL_WORK_LIMITS = { dense: 512 ** 3, conv: 64 ** 3 };

function tooLarge(name: string, shape: readonly number[]): KernelNorm {
  return {
    name,
    why: `${name} (${shape.join('x')}) is too large to bound in the editor; an audit measures it`,
  };
}

/**
 * The certified bounds of every kernel (Gram iteration within ~1e-12 of sigma_max once converged; conv: the
 * operator norm for every input size), one kernel at a time with the event loop free in between.
 */
export async function checkpointNorms(
  checkpoint: Checkpoint,
  limits: { dense: number; conv: number } = KERNEL_WORK_LIMITS,
): Promise<CheckpointNorms> {
  const dense: KernelNorm[] = [];
  for (const { name, matrix: m } of denseKernels(checkpoint)) {
    const work = m.rows * m.cols * Math.min(m.rows, m.cols);
    dense.push(
      work > limits.dense ? tooLarge(name, [m.rows, m.cols]) : { name, sigma: gramSpectralBound(m).bound },
    );
    await yieldToLoop();
  }
  const conv: KernelNorm[] = [];
  for (const { name, kernel } of convKernels(checkpoint)) {
    const [, , cin, cout] = kernel.shape;
    const work = cin * cout * Math.min(cin, cout);
    conv.push(work > limits.conv ? tooLarge(name, kernel.shape) : { name, sigma: convKernelBound(kernel) });
    await yieldToLoop();
  }
  return { dense, conv };
}
