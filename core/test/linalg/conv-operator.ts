/**
 * Test reference: the explicit float64 matrix of tfjs conv2d (channels_last cross-correlation, kernel
 * [kh, kw, cin, cout], 'same'/'valid' zero padding as tfjs computes it, strides), built by applying a direct
 * float64 convolution to every basis vector. Independent of the FFT/Gram code it checks.
 */
import { type Matrix64, matrix } from '../../src/linalg/matrix64';

export interface ConvCase {
  kernel: { shape: [number, number, number, number]; data: Float64Array };
  inputSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
}

function axis(n: number, k: number, s: number, padding: 'same' | 'valid'): { out: number; before: number } {
  if (padding === 'valid') return { out: Math.ceil((n - k + 1) / s), before: 0 };
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return { out, before: Math.floor(total / 2) };
}

/** conv2d of one input [h, w, cin] (row-major) in float64; returns [oh, ow, cout] row-major. */
export function conv2d64(c: ConvCase, x: ArrayLike<number>): { data: Float64Array; out: [number, number] } {
  const [kh, kw, cin, cout] = c.kernel.shape;
  const [h, w] = c.inputSize;
  const ah = axis(h, kh, c.strides[0], c.padding);
  const aw = axis(w, kw, c.strides[1], c.padding);
  const y = new Float64Array(ah.out * aw.out * cout);
  for (let p = 0; p < ah.out; p++)
    for (let q = 0; q < aw.out; q++)
      for (let a = 0; a < kh; a++) {
        const i = p * c.strides[0] + a - ah.before;
        if (i < 0 || i >= h) continue;
        for (let b = 0; b < kw; b++) {
          const j = q * c.strides[1] + b - aw.before;
          if (j < 0 || j >= w) continue;
          for (let ci = 0; ci < cin; ci++) {
            const xv = x[(i * w + j) * cin + ci]!;
            if (xv === 0) continue;
            for (let o = 0; o < cout; o++)
              y[(p * aw.out + q) * cout + o]! += xv * c.kernel.data[((a * kw + b) * cin + ci) * cout + o]!;
          }
        }
      }
  return { data: y, out: [ah.out, aw.out] };
}

/** The operator as an explicit (oh ow cout) x (h w cin) matrix. */
export function convMatrix(c: ConvCase): Matrix64 {
  const n = c.inputSize[0] * c.inputSize[1] * c.kernel.shape[2];
  const e = new Float64Array(n);
  const columns: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    e.fill(0);
    e[k] = 1;
    columns.push(conv2d64(c, e).data);
  }
  const rows = columns[0]!.length;
  const m = matrix(rows, n);
  for (let k = 0; k < n; k++) for (let r = 0; r < rows; r++) m.data[r * n + k] = columns[k]![r]!;
  return m;
}
