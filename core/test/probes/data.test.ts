/**
 * The probe sample readers: .npy files written here byte by byte from the format's specification (magic, version,
 * header length, a Python-literal dict padded with spaces to a multiple of 64 bytes, then the raw data), checked
 * against one file numpy's np.save wrote; JSON samples as nested lists or {shape, data}. Values are compared
 * exactly with their float32 roundings, which numpy gave (np.float32(x)).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSample, parseJsonSample, parseNpy } from '../../src/probes/data';

type Dtype = '<f4' | '<f8' | '<i4' | '<i8' | '|u1';

/** Little-endian bytes of each value in the dtype, written with DataView setters. */
function dataBytes(dtype: Dtype, values: readonly (number | bigint)[]): Uint8Array {
  const size = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8, '|u1': 1 }[dtype];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    if (dtype === '<f4') view.setFloat32(at, Number(v), true);
    else if (dtype === '<f8') view.setFloat64(at, Number(v), true);
    else if (dtype === '<i4') view.setInt32(at, Number(v), true);
    else if (dtype === '<i8') view.setBigInt64(at, BigInt(v), true);
    else view.setUint8(at, Number(v));
  });
  return out;
}

interface NpyOptions {
  version?: 1 | 2 | 3;
  fortran?: boolean;
  /** The shape tuple as written, e.g. `(2L, 3L)`, instead of the one made from `shape`. */
  shapeText?: string;
}

/** A .npy file: "\x93NUMPY", version, header length (2 bytes in v1, 4 after), the padded header, the data. */
function npy(dtype: string, shape: number[], data: Uint8Array, options: NpyOptions = {}): Uint8Array {
  const version = options.version ?? 1;
  const tuple = options.shapeText ?? (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);
  const dict = `{'descr': '${dtype}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': ${tuple}, }`;
  const prelude = version === 1 ? 10 : 12;
  // Spaces, then a newline, up to a multiple of 64 bytes for prelude + header.
  const headerLen = Math.ceil((prelude + dict.length + 1) / 64) * 64 - prelude;
  const header = `${dict.padEnd(headerLen - 1, ' ')}\n`;
  const out = new Uint8Array(prelude + headerLen + data.length);
  out.set([0x93, ...'NUMPY'].map((c) => (typeof c === 'number' ? c : c.charCodeAt(0))));
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(new TextEncoder().encode(header), prelude);
  out.set(data, prelude + headerLen);
  return out;
}

/** np.save(f, np.array([[0.1, -0.0, 3.4028234663852886e38], [1.401298464324817e-45, -1.5, 16777217]], '<f4')). */
const NUMPY_F4 = Buffer.from(
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAg' +
    'ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIArNzMw9AAAAgP//f38BAAAAAADAvwAAgEs=',
  'base64',
);
/** Its values as numpy reads them back (float(x) of each). */
const NUMPY_F4_VALUES = [
  0.10000000149011612, -0, 3.4028234663852886e38, 1.401298464324817e-45, -1.5, 16777216,
];

const plain = (values: Float32Array): number[] => Array.from(values);

describe('parseNpy', () => {
  it('reads the file numpy wrote, and this test writes the same bytes', () => {
    const read = parseNpy(NUMPY_F4);
    assert.deepEqual(read.shape, [2, 3]);
    assert.deepEqual(plain(read.values), NUMPY_F4_VALUES);
    assert.ok(Object.is(read.values[1], -0), '-0 stays -0');
    const ours = npy('<f4', [2, 3], dataBytes('<f4', NUMPY_F4_VALUES));
    assert.deepEqual(Buffer.from(ours), NUMPY_F4);
  });

  it('reads every supported dtype, rounded to float32', () => {
    const cases: { dtype: Dtype; written: (number | bigint)[]; read: number[] }[] = [
      {
        dtype: '<f4',
        written: [0.1, -2.5, 1 / 3, 0],
        read: [0.10000000149011612, -2.5, 0.3333333432674408, 0],
      },
      // 16777217 is 2^24 + 1, the first integer float32 cannot hold; 1e-300 underflows float32 to 0.
      {
        dtype: '<f8',
        written: [0.1, -2.5, 16777217, 1e-300],
        read: [0.10000000149011612, -2.5, 16777216, 0],
      },
      {
        dtype: '<i4',
        written: [-2147483648, 2147483647, 16777217, -1],
        read: [-2147483648, 2147483648, 16777216, -1],
      },
      {
        dtype: '<i8',
        written: [-(2n ** 63n), 2n ** 53n + 1n, 7n, -7n],
        read: [-9223372036854775808, 9007199254740992, 7, -7],
      },
      { dtype: '|u1', written: [0, 1, 128, 255], read: [0, 1, 128, 255] },
    ];
    for (const c of cases) {
      const read = parseNpy(npy(c.dtype, [2, 2], dataBytes(c.dtype, c.written)));
      assert.deepEqual(read.shape, [2, 2], c.dtype);
      assert.deepEqual(plain(read.values), c.read, c.dtype);
    }
  });

  it('reads version 2 and 3 headers (a 4-byte header length)', () => {
    const data = dataBytes('<i4', [0, 1, 2, 3, 4, 5]);
    for (const version of [2, 3] as const) {
      const file = npy('<i4', [2, 3], data, { version });
      assert.equal(file.length % 64, 24, 'data after a 64-byte aligned header');
      const read = parseNpy(file);
      assert.deepEqual(read.shape, [2, 3]);
      assert.deepEqual(plain(read.values), [0, 1, 2, 3, 4, 5]);
    }
  });

  it('reads 1-D, 3-D and scalar shapes, and the long integers of Python 2 headers', () => {
    assert.deepEqual(parseNpy(npy('|u1', [3], dataBytes('|u1', [1, 2, 3]))).shape, [3]);
    const cube = parseNpy(npy('|u1', [2, 1, 2], dataBytes('|u1', [1, 2, 3, 4])));
    assert.deepEqual(
      [cube.shape, plain(cube.values)],
      [
        [2, 1, 2],
        [1, 2, 3, 4],
      ],
    );
    const scalar = parseNpy(npy('<f8', [], dataBytes('<f8', [0.5])));
    assert.deepEqual([scalar.shape, plain(scalar.values)], [[], [0.5]]);
    const py2 = parseNpy(npy('<f4', [2, 3], dataBytes('<f4', [1, 2, 3, 4, 5, 6]), { shapeText: '(2L, 3L)' }));
    assert.deepEqual(
      [py2.shape, plain(py2.values)],
      [
        [2, 3],
        [1, 2, 3, 4, 5, 6],
      ],
    );
  });

  it('refuses Fortran order, other dtypes, other versions and files that are not .npy', () => {
    const data = dataBytes('<f4', [1, 2, 3, 4, 5, 6]);
    assert.throws(() => parseNpy(npy('<f4', [2, 3], data, { fortran: true })), /Fortran-ordered/);
    assert.throws(() => parseNpy(npy('>f4', [2, 3], data)), /unsupported \.npy dtype >f4/);
    assert.throws(() => parseNpy(npy('<f2', [2, 6], data)), /unsupported \.npy dtype <f2/);
    const v4 = npy('<f4', [2, 3], data, { version: 2 });
    v4[6] = 4;
    assert.throws(() => parseNpy(v4), /version 4/);
    assert.throws(() => parseNpy(new TextEncoder().encode('[[1, 2]]')), /not a \.npy file/);
    assert.throws(
      () => parseNpy(npy('<f4', [2, 3], data, { shapeText: '(2, -3)' })),
      /unreadable \.npy header/,
    );
  });

  it('refuses a file cut short anywhere, or with bytes after its data', () => {
    const file = npy('<f4', [2, 3], dataBytes('<f4', [1, 2, 3, 4, 5, 6]));
    // In the data, in the header, in the header length.
    for (const cut of [file.length - 1, 100, 9])
      assert.throws(() => parseNpy(file.subarray(0, cut)), /\.npy file is truncated/, `cut at ${cut}`);
    const longer = new Uint8Array(file.length + 4);
    longer.set(file);
    assert.throws(() => parseNpy(longer), /4 bytes after its data/);
  });

  it('refuses values that are not finite in float32', () => {
    assert.throws(() => parseNpy(npy('<f4', [1, 2], dataBytes('<f4', [1, NaN]))), /value 1 is not a finite/);
    // 1e300 is a finite float64, beyond float32's range.
    assert.throws(
      () => parseNpy(npy('<f8', [1, 2], dataBytes('<f8', [1e300, 0]))),
      /value 0 is not a finite/,
    );
  });
});

describe('parseJsonSample', () => {
  const expected = { shape: [2, 3], values: [0.10000000149011612, -2, 3, 4, 5, 6] };
  const read = (text: string) => {
    const r = parseJsonSample(text);
    return { shape: r.shape, values: plain(r.values) };
  };

  it('reads nested lists and the {shape, data} form to the same sample', () => {
    assert.deepEqual(read('[[0.1, -2, 3], [4, 5, 6]]'), expected);
    assert.deepEqual(read('{"shape": [2, 3], "data": [0.1, -2, 3, 4, 5, 6]}'), expected);
    assert.deepEqual(read('[[[1], [2]]]'), { shape: [1, 2, 1], values: [1, 2] });
  });

  it('refuses ragged lists, wherever the odd element is', () => {
    for (const text of ['[[1, 2], [3]]', '[[1, 2], 3]', '[1, [2]]', '[[1], [[2]]]', '[[], [1]]'])
      assert.throws(() => parseJsonSample(text), /ragged sample/, text);
  });

  it('refuses a {shape, data} whose data does not fill its shape', () => {
    assert.throws(
      () => parseJsonSample('{"shape": [2, 3], "data": [1, 2, 3, 4, 5]}'),
      /5 values, its shape \[2, 3\] needs 6/,
    );
    assert.throws(() => parseJsonSample('{"shape": [2, 3]}'), /needs `shape` and `data`/);
  });

  it('refuses values that are not numbers, and shapes that are not counts', () => {
    assert.throws(() => parseJsonSample('[[1, "2"]]'), /must be numbers, got string/);
    assert.throws(() => parseJsonSample('[[1, null]]'), /must be numbers, got null/);
    assert.throws(() => parseJsonSample('{"shape": [1, 2], "data": [1, "2"]}'), /flat list of numbers/);
    assert.throws(() => parseJsonSample('{"shape": [1, 2], "data": [[1, 2]]}'), /flat list of numbers/);
    for (const shape of ['[-1, -2]', '[0.5, 4]', '["1", 2]'])
      assert.throws(
        () => parseJsonSample(`{"shape": ${shape}, "data": [1, 2]}`),
        /non-negative integers/,
        shape,
      );
  });

  it('refuses values beyond float32, and text that is not JSON', () => {
    // JSON.parse reads 1e400 as Infinity; 1e39 is finite but past float32's largest value.
    assert.throws(() => parseJsonSample('[[1, 1e400]]'), /value 1 is not a finite/);
    assert.throws(() => parseJsonSample('{"shape": [1, 2], "data": [1e39, 0]}'), /value 0 is not a finite/);
    assert.throws(() => parseJsonSample('[[1, 2]'), /not valid JSON/);
  });
});

describe('loadSample', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-sample-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: Uint8Array | string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads .npy by its extension and anything else as JSON, counting the points', () => {
    const npyPath = file('x.npy', npy('<f8', [2, 2], dataBytes('<f8', [1, 2, 3, 4])));
    assert.deepEqual(loadSample(npyPath), {
      values: new Float32Array([1, 2, 3, 4]),
      shape: [2, 2],
      description: `sample ${npyPath} (2 points)`,
    });
    const one = file('one.json', '[[1, 2, 3]]');
    assert.equal(loadSample(one).description, `sample ${one} (1 point)`);
  });

  it('refuses a sample without a point axis, or without values', () => {
    assert.throws(
      () => loadSample(file('flat.json', '[1, 2, 3]')),
      /must be \[n, \.\.\.inputShape\], got shape \[3\]/,
    );
    assert.throws(() => loadSample(file('empty.json', '{"shape": [0, 4], "data": []}')), /has no values/);
    assert.throws(() => loadSample(file('hollow.json', '[[], []]')), /has no values/);
  });
});
