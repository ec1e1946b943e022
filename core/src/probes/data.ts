/** Probe inputs: a user sample (JSON nested arrays or `{shape, data}`, or a .npy file), else seeded normals. */
import { parseJsonQuietly, readRegularFileSync } from '../bounds/checkpoint-access';
import { plural } from '../report/plural';
import { Rng } from './rng';

export interface ProbeData {
  values: Float32Array;
  /** [n, ...pointShape]. */
  shape: number[];
  /** For the report: where the data came from. */
  description: string;
}

/** Every entry a count: a non-negative integer. */
function areCounts(shape: readonly unknown[]): shape is number[] {
  return shape.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0);
}

/**
 * Probe points must be finite in float32, the precision the probes run at: a NaN, or a value past float32's
 * largest (about 3.4e38), would reach the model as NaN or Infinity and every figure measured on it would be void.
 */
function finite(values: Float32Array, what: string): Float32Array {
  const at = values.findIndex((v) => !Number.isFinite(v));
  if (at >= 0) throw new Error(`${what} value ${at} is not a finite float32 number`);
  return values;
}

/** The shape along the first elements; flatten() then holds every element to it. */
function nestedShape(v: unknown): number[] {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) shape.push(x.length);
  return shape;
}

function flatten(v: unknown, shape: readonly number[], out: number[], depth = 0): void {
  if (Array.isArray(v)) {
    if (depth >= shape.length) throw new Error(`ragged sample: a list at depth ${depth}, where numbers are`);
    if (v.length !== shape[depth])
      throw new Error(`ragged sample: length ${v.length} vs ${shape[depth]} at depth ${depth}`);
    for (const x of v) flatten(x, shape, out, depth + 1);
  } else if (typeof v === 'number') {
    if (depth !== shape.length) throw new Error('ragged sample: a number where a list was expected');
    out.push(v);
  } else throw new Error(`sample values must be numbers, got ${v === null ? 'null' : typeof v}`);
}

export function parseJsonSample(text: string): { values: Float32Array; shape: number[] } {
  // Node's own message would quote the file's text into the report.
  const parsed = parseJsonQuietly(text, 'the JSON sample');
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const { shape, data } = parsed as { shape?: unknown; data?: unknown };
    if (!Array.isArray(shape) || !Array.isArray(data))
      throw new Error('a JSON sample object needs `shape` and `data`');
    if (!areCounts(shape)) throw new Error("a JSON sample's `shape` must list non-negative integers");
    if (!data.every((x) => typeof x === 'number'))
      throw new Error("a JSON sample's `data` must be a flat list of numbers");
    const needed = shape.reduce((a, b) => a * b, 1);
    if (needed !== data.length)
      throw new Error(
        `sample data has ${plural(data.length, 'value')}, its shape [${shape.join(', ')}] needs ${needed}`,
      );
    return { values: finite(Float32Array.from(data), 'sample'), shape };
  }
  const shape = nestedShape(parsed);
  const out: number[] = [];
  flatten(parsed, shape, out);
  return { values: finite(Float32Array.from(out), 'sample'), shape };
}

const NPY_READERS: Record<string, [number, (view: DataView, at: number) => number]> = {
  '<f4': [4, (v, o) => v.getFloat32(o, true)],
  '<f8': [8, (v, o) => v.getFloat64(o, true)],
  '<i4': [4, (v, o) => v.getInt32(o, true)],
  '<i8': [8, (v, o) => Number(v.getBigInt64(o, true))],
  '|u1': [1, (v, o) => v.getUint8(o)],
};

/**
 * NumPy .npy versions 1-3 (numpy.lib.format): magic "\x93NUMPY", major and minor version, the header's length
 * (2 bytes little-endian in v1, 4 after), a Python dict literal with descr, fortran_order and shape, then the
 * data. Little-endian float32/float64/int32/int64 and uint8, C order, nothing after the data.
 */
export function parseNpy(buf: Uint8Array): { values: Float32Array; shape: number[] } {
  if (buf[0] !== 0x93 || String.fromCharCode(...buf.subarray(1, 6)) !== 'NUMPY')
    throw new Error('not a .npy file');
  const truncated = (): Error => new Error('.npy file is truncated');
  if (buf.byteLength < 10) throw truncated();
  const major = buf[6]!;
  if (major < 1 || major > 3) throw new Error(`.npy format version ${major} is not supported (1 to 3 are)`);
  const start = major === 1 ? 10 : 12;
  if (buf.byteLength < start) throw truncated();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const body = start + (major === 1 ? view.getUint16(8, true) : view.getUint32(8, true));
  if (body > buf.byteLength) throw truncated();
  const header = new TextDecoder().decode(buf.subarray(start, body));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  // Python 2 wrote long integers with an L: (3L, 4L).
  const dims = /'shape':\s*\(([^)]*)\)/
    .exec(header)?.[1]
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (descr === undefined || dims === undefined || !dims.every((d) => /^\d+L?$/.test(d)))
    throw new Error('unreadable .npy header');
  if (fortran) throw new Error('Fortran-ordered .npy arrays are not supported; save with C order');
  const shape = dims.map((d) => parseInt(d, 10));
  const reader = NPY_READERS[descr];
  if (reader === undefined) throw new Error(`unsupported .npy dtype ${descr}`);
  const [size, read] = reader;
  const count = shape.reduce((a, b) => a * b, 1);
  const end = body + count * size;
  if (end > buf.byteLength) throw truncated();
  if (end < buf.byteLength)
    throw new Error(`.npy file has ${plural(buf.byteLength - end, 'byte')} after its data`);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = read(view, body + i * size);
  return { values: finite(values, '.npy'), shape };
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
  // No points, or points of no numbers: nothing to measure, and a figure over none would be made up.
  if (parsed.values.length === 0)
    throw new Error(`sample ${path} has no values (shape [${parsed.shape.join(', ')}])`);
  return { ...parsed, description: `sample ${path} (${plural(parsed.shape[0]!, 'point')})` };
}

export function normalData(points: number, pointShape: number[], seed: number): ProbeData {
  const d = pointShape.reduce((a, b) => a * b, 1);
  return {
    values: new Rng(seed).normals(points * d),
    shape: [points, ...pointShape],
    description: `standard normal, ${plural(points, 'point')}, seed ${seed}`,
  };
}
