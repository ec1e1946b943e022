/**
 * Writes a tfjs layers-model checkpoint (model.json + one .bin shard) by hand, without tfjs: float32 little-endian
 * weights in manifest order, names like tfjs gives them (`dense_Dense1/kernel`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FixtureWeight {
  name: string;
  shape: number[];
  values: number[];
}

export function writeCheckpoint(dir: string, weights: FixtureWeight[]): string {
  mkdirSync(dir, { recursive: true });
  const floats = weights.flatMap((w) => w.values);
  const buf = Buffer.alloc(floats.length * 4);
  floats.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), buf);
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'lipschitz-lens test fixture',
    modelTopology: { class_name: 'Sequential', config: { layers: [] } },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(modelJson));
  return path;
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), so fixtures are reproducible. */
export function randomValues(count: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}
