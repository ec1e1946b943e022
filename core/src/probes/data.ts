/** Probe inputs: a user sample (JSON nested arrays or `{shape, data}`, or a .npy file), else seeded normals. */
import { parseJsonQuietly, readRegularFileSync } from '../bounds/checkpoint-access';
import { Rng } from './rng';

export interface ProbeData {
  values: Float32Array;
  /** [n, ...pointShape]. */
  shape: number[];
  /** For the report: where the data came from. */
  description: string;
}

function flatten(v: unknown, shape: number[], out: number[], depth = 0): void {
  if (Array.isArray(v)) {
    if (shape.length <= depth) shape.push(v.length);
    else if (shape[depth] !== v.length)
      throw new Error(`ragged sample: length ${v.length} vs ${shape[depth]} at depth ${depth}`);
    for (const x of v) flatten(x, shape, out, depth + 1);
  } else if (typeof v === 'number') {
    if (depth !== shape.length) throw new Error('ragged sample: a number where an array was expected');
    out.push(v);
  } else throw new Error(`sample values must be numbers, got ${typeof v}`);
}

export function parseJsonSample(text: string): { values: Float32Array; shape: number[] } {
  // Node's own message would quote the file's text into the report.
  const parsed = parseJsonQuietly(text, 'the JSON sample');
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const { shape, data } = parsed as { shape?: unknown; data?: unknown };
    if (!Array.isArray(shape) || !Array.isArray(data))
      throw new Error('a JSON sample object needs `shape` and `data`');
    const values = Float32Array.from(data as number[]);
    const s = shape as number[];
    if (s.reduce((a, b) => a * b, 1) !== values.length)
      throw new Error('sample data length does not match its shape');
    return { values, shape: s };
  }
  const shape: number[] = [];
  const out: number[] = [];
  flatten(parsed, shape, out);
  return { values: Float32Array.from(out), shape };
}

/** NumPy .npy v1-3: little-endian float32/float64/int32/uint8, C order. */
export function parseNpy(buf: Uint8Array): { values: Float32Array; shape: number[] } {
  if (buf[0] !== 0x93 || String.fromCharCode(...buf.subarray(1, 6)) !== 'NUMPY')
    throw new Error('not a .npy file');
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(buf.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || shapeText === undefined) throw new Error('unreadable .npy header');
  if (fortran) throw new Error('Fortran-ordered .npy arrays are not supported; save with C order');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = start + headerLen;
  const readers: Record<string, [number, (o: number) => number]> = {
    '<f4': [4, (o) => view.getFloat32(o, true)],
    '<f8': [8, (o) => view.getFloat64(o, true)],
    '<i4': [4, (o) => view.getInt32(o, true)],
    '<i8': [8, (o) => Number(view.getBigInt64(o, true))],
    '|u1': [1, (o) => view.getUint8(o)],
  };
  const reader = readers[descr];
  if (reader === undefined) throw new Error(`unsupported .npy dtype ${descr}`);
  const [size, read] = reader;
  if (body + count * size > buf.byteLength) throw new Error('.npy file is truncated');
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = read(body + i * size);
  return { values, shape };
}

/**
 * A sample of probe points: 256 MB is 64M float32 values, far more than the probes evaluate, and below what a
 * worker should hold besides the model.
 */
export const MAX_SAMPLE_BYTES = 256 * 2 ** 20;

export function loadSample(path: string): ProbeData {
  // A regular file under the cap: a FIFO would hang the worker and /dev/zero fill its memory.
  const bytes = readRegularFileSync(path, MAX_SAMPLE_BYTES);
  const parsed = path.endsWith('.npy') ? parseNpy(bytes) : parseJsonSample(bytes.toString('utf8'));
  if (parsed.shape.length < 2)
    throw new Error(`sample ${path} must be [n, ...inputShape], got shape [${parsed.shape.join(', ')}]`);
  return { ...parsed, description: `sample ${path} (${parsed.shape[0]} points)` };
}

export function normalData(points: number, pointShape: number[], seed: number): ProbeData {
  const d = pointShape.reduce((a, b) => a * b, 1);
  return {
    values: new Rng(seed).normals(points * d),
    shape: [points, ...pointShape],
    description: `standard normal, ${points} points, seed ${seed}`,
  };
}
