/**
 * Reads a tfjs layers-model checkpoint (model.json + weight shards) with node:fs only: tfjs must not load in
 * the language server. Only float32 weights are decoded; others are skipped with their byte length accounted.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { convBoundAllSizes, type ConvKernel64, convOperatorBound } from '../linalg/conv-bound';
import { gramSpectralBound } from '../linalg/gram';
import { type Matrix64 } from '../linalg/matrix64';

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

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function isGroup(value: unknown): value is ManifestGroup {
  if (typeof value !== 'object' || value === null) return false;
  const g = value as Partial<ManifestGroup>;
  return Array.isArray(g.paths) && Array.isArray(g.weights);
}

export function readCheckpoint(path: string): Checkpoint {
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest) || !manifest.every(isGroup)) {
    throw new Error(`${path}: no weightsManifest`);
  }
  const weights: CheckpointWeight[] = [];
  const skipped: string[] = [];
  for (const group of manifest) {
    const buffers = group.paths.map((p) => readFileSync(join(dirname(path), p)));
    const bytes = Buffer.concat(buffers);
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const dtype = entry.dtype ?? 'float32';
      const width = BYTES[dtype];
      if (width === undefined || entry.quantization !== undefined) {
        // Without the byte width the rest of the group cannot be located.
        skipped.push(...group.weights.slice(group.weights.indexOf(entry)).map((e) => e.name));
        break;
      }
      if (dtype === 'float32') {
        if (offset + count * 4 > bytes.length)
          throw new Error(`${path}: weight data too short for ${entry.name}`);
        const values = new Float64Array(count);
        for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(offset + i * 4);
        weights.push({ name: entry.name, shape: entry.shape, values });
      } else {
        skipped.push(entry.name);
      }
      offset += count * width;
    }
  }
  return { path, weights, skipped };
}

/** 2-D kernels (`.../kernel`), in manifest order, as matrices [in, out]. */
export function denseKernels(checkpoint: Checkpoint): { name: string; matrix: Matrix64 }[] {
  return checkpoint.weights
    .filter((w) => w.shape.length === 2 && /kernel$/.test(w.name))
    .map((w) => ({ name: w.name, matrix: { rows: w.shape[0]!, cols: w.shape[1]!, data: w.values } }));
}

export interface KernelNorm {
  name: string;
  /** A certified upper bound of sigma_max (Gram iteration in float64), not an estimate. */
  sigma: number;
}

const cache = new Map<string, { mtimeMs: number; norms: KernelNorm[] }>();

/**
 * Certified upper bounds of the spectral norms of the checkpoint's 2-D kernels (Gram iteration, within ~1e-12 of
 * sigma_max once converged), in manifest order. Cached by path and mtime: hovers and diagnostics ask again on
 * every keystroke, and large kernels are not free.
 */
export function kernelNorms(path: string): KernelNorm[] {
  const mtimeMs = statSync(path).mtimeMs;
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.norms;
  const norms = denseKernels(readCheckpoint(path)).map((k) => ({
    name: k.name,
    sigma: gramSpectralBound(k.matrix).bound,
  }));
  cache.set(path, { mtimeMs, norms });
  return norms;
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

const convCache = new Map<string, { mtimeMs: number; norms: KernelNorm[] }>();

/**
 * Certified operator-norm bounds of the checkpoint's conv kernels, in manifest order, for every input size,
 * padding and stride (stride 1 bounds the strided ones too: a stride only drops outputs). A caller that knows a
 * layer's stride and input size gets a tighter bound from convKernelBound.
 */
export function convKernelNorms(path: string): KernelNorm[] {
  const mtimeMs = statSync(path).mtimeMs;
  const hit = convCache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.norms;
  const norms = convKernels(readCheckpoint(path)).map((k) => ({
    name: k.name,
    sigma: convKernelBound(k.kernel),
  }));
  convCache.set(path, { mtimeMs, norms });
  return norms;
}
