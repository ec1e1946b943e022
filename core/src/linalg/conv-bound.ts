/**
 * Certified upper bounds of the operator norm of a 2-D convolution as applied (tfjs conv2d: channels_last
 * cross-correlation, kernel [kh, kw, cin, cout], zero padding 'same' or 'valid', strides). Plain float64.
 *
 * - Known input size h x w: a zero-padded convolution is a cropped circular one on any grid of at least
 *   (h + kh - 1) x (w + kw - 1) (the input is embedded with zeros, the output rows are a subset, so no
 *   wrap-around reaches a kept output), and a stride only removes output rows. The circular convolution is
 *   block-diagonalised by the 2-D DFT, so its norm is the maximum over the grid's finitely many frequencies of
 *   the spectral norm of the cout x cin matrix K^(f) (Sedghi, Gupta, Long 2019), each bounded by Gram iteration.
 *   Small operators also get the Gram bound of their explicit matrix (no border slack); the smaller one is used.
 * - Unknown input size: the convolution on the infinite grid Z^2 (of which every zero-padded one is a
 *   compression) has norm sup over continuous frequencies w of ||K^(w)||. Sampled on an N x N grid that is not a
 *   bound by itself; K^ is Lipschitz in w, ||K^(w) - K^(w')|| <= sum over taps of ||K[a, b]|| |(w - w') . (a - ca,
 *   b - cb)| (a phase shift by the centre (ca, cb) changes no norm), and every w is within pi / N per axis of a
 *   sample, so the sampled max plus (pi / N) sum ||K[a, b]|| (|a - ca| + |b - cb|) is certified. Also the
 *   min of sum over taps of ||K[a, b]||_2 (the convolution is a sum of zero-filled shifts
 *   times per-tap channel maps, each shift of norm <= 1) and sqrt(m_h m_w) ||K as (kh kw cin) x cout||_2, with
 *   m = ceil(k / s) the number of patches an input pixel can fall into (y = patches(x) K, ||patches(x)||_F^2 <=
 *   m_h m_w ||x||^2). Both hold for every input size, padding and stride.
 */
import { gramComplexBound, type GramOptions, gramSpectralBound } from './gram';
import { type Matrix64, matrix } from './matrix64';

/** Up to this many rows or columns (the smaller side), the explicit operator's Gram bound is also taken. */
export const EXPLICIT_MAX_SIDE = 300;

const U = 2 ** -53;

/** A conv kernel in tfjs layout [kh, kw, cin, cout], row-major. */
export interface ConvKernel64 {
  shape: [number, number, number, number];
  data: ArrayLike<number>;
}

export interface ConvApplication {
  /** Input spatial size [h, w]. */
  inputSize: [number, number];
  strides?: [number, number];
  padding?: 'same' | 'valid';
}

/**
 * Certified upper bound of the norm of conv2d(., K) on inputs of spatial size [h, w] with the given stride and
 * any zero padding. Stride s is removed exactly first (polyphase): with K'[d, e, (r1, r2, c)] = K[s d + r1,
 * s e + r2, c] (zero outside the kernel), the strided convolution of x is the stride-1 convolution by K' of the
 * space-to-depth of the zero-shifted x, whose support spans at most ceil(h / s) + 1 rows; then the circular bound
 * on a grid with no wrap-around. Padding only crops, so it never raises the norm.
 */
export function convFrequencyBound(
  kernel: ConvKernel64,
  app: ConvApplication,
  options: GramOptions = {},
): number {
  const [sh, sw] = app.strides ?? [1, 1];
  const [h, w] = app.inputSize;
  const poly = polyphase(kernel, sh, sw);
  const [kh, kw] = poly.shape;
  const rows = sh === 1 ? h : Math.ceil(h / sh) + 1;
  const cols = sw === 1 ? w : Math.ceil(w / sw) + 1;
  return circularConvBound(poly, [rows + kh - 1, cols + kw - 1], options);
}

/**
 * Certified upper bound of the conv2d operator norm as applied: the frequency bound, or for small operators (the
 * smaller side of the explicit matrix up to EXPLICIT_MAX_SIDE) the smaller of it and the explicit Gram bound.
 */
export function convOperatorBound(
  kernel: ConvKernel64,
  app: ConvApplication,
  options: GramOptions = {},
): number {
  const [h, w] = app.inputSize;
  const circular = convFrequencyBound(kernel, app, options);
  // Small operators: Gram iteration on the explicit matrix is exact up to its convergence, with no border slack.
  const out = outputSize(kernel, app);
  const side = Math.min(h * w * kernel.shape[2], out[0] * out[1] * kernel.shape[3]);
  if (side === 0 || side > EXPLICIT_MAX_SIDE) return circular;
  const explicit = gramSpectralBound(explicitConvMatrix(kernel, app), { maxIterations: 16, ...options });
  return Math.min(circular, explicit.bound);
}

function axis(n: number, k: number, s: number, padding: 'same' | 'valid'): [out: number, before: number] {
  if (padding === 'valid') return [Math.max(0, Math.ceil((n - k + 1) / s)), 0];
  const out = Math.ceil(n / s);
  return [out, Math.floor(Math.max((out - 1) * s + k - n, 0) / 2)];
}

/** Output spatial size of conv2d as tfjs computes it. */
export function outputSize(kernel: ConvKernel64, app: ConvApplication): [number, number] {
  const [sh, sw] = app.strides ?? [1, 1];
  const padding = app.padding ?? 'valid';
  return [
    axis(app.inputSize[0], kernel.shape[0], sh, padding)[0],
    axis(app.inputSize[1], kernel.shape[1], sw, padding)[0],
  ];
}

/**
 * The (oh ow cout) x (h w cin) matrix of conv2d as tfjs applies it (cross-correlation, tfjs's 'same' split of
 * the padding: the smaller half before), filled tap by tap.
 */
export function explicitConvMatrix(kernel: ConvKernel64, app: ConvApplication): Matrix64 {
  const [kh, kw, cin, cout] = kernel.shape;
  const [h, w] = app.inputSize;
  const [sh, sw] = app.strides ?? [1, 1];
  const padding = app.padding ?? 'valid';
  const [oh, padTop] = axis(h, kh, sh, padding);
  const [ow, padLeft] = axis(w, kw, sw, padding);
  const m = matrix(oh * ow * cout, h * w * cin);
  const n = h * w * cin;
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let p = 0; p < oh; p++) {
        const i = p * sh + a - padTop;
        if (i < 0 || i >= h) continue;
        for (let q = 0; q < ow; q++) {
          const j = q * sw + b - padLeft;
          if (j < 0 || j >= w) continue;
          for (let o = 0; o < cout; o++) {
            const row = ((p * ow + q) * cout + o) * n + (i * w + j) * cin;
            for (let c = 0; c < cin; c++) m.data[row + c] = kernel.data[((a * kw + b) * cin + c) * cout + o]!;
          }
        }
      }
  return m;
}

/** The stride-1 kernel [ceil(kh / sh), ceil(kw / sw), cin sh sw, cout] equivalent to K with strides (sh, sw). */
export function polyphase(kernel: ConvKernel64, sh: number, sw: number): ConvKernel64 {
  if (sh === 1 && sw === 1) return kernel;
  const [kh, kw, cin, cout] = kernel.shape;
  const ph = Math.ceil(kh / sh);
  const pw = Math.ceil(kw / sw);
  const pc = cin * sh * sw;
  const data = new Float64Array(ph * pw * pc * cout);
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++) {
      const d = Math.floor(a / sh);
      const e = Math.floor(b / sw);
      const channelBase = ((a % sh) * sw + (b % sw)) * cin;
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++)
          data[((d * pw + e) * pc + channelBase + c) * cout + o] =
            kernel.data[((a * kw + b) * cin + c) * cout + o]!;
    }
  return { shape: [ph, pw, pc, cout], data };
}

/** Certified upper bound of the norm of the circular convolution by K on an n1 x n2 grid. */
export function circularConvBound(
  kernel: ConvKernel64,
  grid: [number, number],
  options: GramOptions = {},
): number {
  const [kh, kw, cin, cout] = kernel.shape;
  const [n1, n2] = grid;
  if (n1 < kh || n2 < kw)
    throw new Error(`circularConvBound: grid ${n1}x${n2} smaller than kernel ${kh}x${kw}`);
  const data = kernel.data;
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(data[i]!));
  if (!Number.isFinite(maxAbs)) return NaN;
  if (maxAbs === 0) return 0;
  // Rounding of the DFT sums (twiddles and kh kw products): |error| per entry <= 8 kh kw u maxAbs, so the
  // error matrix's spectral norm is at most its Frobenius norm.
  const dftSlack = 8 * kh * kw * U * maxAbs * Math.sqrt(cin * cout);
  const re = new Float64Array(cout * cin);
  const im = new Float64Array(cout * cin);
  let best = 0;
  // Real kernel: the response at -f is the conjugate of that at f, with the same norm; half the grid suffices.
  for (let p = 0; p < n1; p++) {
    for (let q = 0; q <= Math.floor(n2 / 2); q++) {
      re.fill(0);
      im.fill(0);
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const angle = 2 * Math.PI * (((p * a) % n1) / n1 + ((q * b) % n2) / n2);
          const c = Math.cos(angle);
          const s = Math.sin(angle);
          const base = (a * kw + b) * cin * cout;
          for (let ci = 0; ci < cin; ci++) {
            for (let o = 0; o < cout; o++) {
              const k = data[base + ci * cout + o]!;
              re[o * cin + ci]! += c * k;
              im[o * cin + ci]! += s * k;
            }
          }
        }
      }
      const { bound } = gramComplexBound(cout, cin, re, im, options);
      best = Math.max(best, bound);
    }
  }
  return best + dftSlack;
}

/**
 * Certified upper bound of the conv norm for every input size, padding and stride (see the file comment):
 * min(sum of per-tap norms, sqrt(m_h m_w) * norm of the reshaped kernel).
 */
export function convBoundAnySize(
  kernel: ConvKernel64,
  strides: [number, number] = [1, 1],
  options: GramOptions = {},
): number {
  const [kh, kw, cin, cout] = kernel.shape;
  let taps = 0;
  for (let t = 0; t < kh * kw; t++) {
    const block = matrix(
      cin,
      cout,
      Array.from({ length: cin * cout }, (_, i) => kernel.data[t * cin * cout + i]!),
    );
    taps += gramSpectralBound(block, options).bound;
  }
  const reshaped = gramSpectralBound(matrix(kh * kw * cin, cout, kernel.data), options).bound;
  const multiplicity = Math.ceil(kh / strides[0]) * Math.ceil(kw / strides[1]);
  // The sum of kh kw rounded terms: a few ulps each.
  return Math.min(taps * (1 + 4 * kh * kw * U), Math.sqrt(multiplicity) * reshaped * (1 + 4 * U));
}

/**
 * Certified upper bound of the conv norm for every input size and padding, with the given stride: the sampled
 * frequency maximum plus its Lipschitz slack (see the file comment), after the polyphase reduction of the stride,
 * and the two coarse bounds of convBoundAnySize; the smallest. The grid starts at `grid` samples per axis and is
 * doubled while the slack exceeds 1% of the sampled maximum and the work stays under `budget` multiply-adds.
 */
export function convBoundAllSizes(
  kernel: ConvKernel64,
  strides: [number, number] = [1, 1],
  grid = 32,
  options: GramOptions & { budget?: number } = {},
): number {
  const coarse = convBoundAnySize(kernel, strides, options);
  const poly = polyphase(kernel, strides[0], strides[1]);
  const [kh, kw, cin, cout] = poly.shape;
  const ca = (kh - 1) / 2;
  const cb = (kw - 1) / 2;
  // sum over taps of ||K[a, b]|| |a - ca| and |b - cb|: the slack is (pi / n1) rowMoment + (pi / n2) colMoment.
  let rowMoment = 0;
  let colMoment = 0;
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++) {
      const block = matrix(
        cin,
        cout,
        Array.from({ length: cin * cout }, (_, i) => poly.data[(a * kw + b) * cin * cout + i]!),
      );
      const tap = gramSpectralBound(block, options).bound;
      rowMoment += tap * Math.abs(a - ca);
      colMoment += tap * Math.abs(b - cb);
    }
  const budget = options.budget ?? 2e8;
  const small = Math.min(cin, cout);
  const costPerFrequency = kh * kw * cin * cout + 12 * small * small * small * 4;
  let n = Math.max(grid, kh, kw);
  let best = coarse;
  for (;;) {
    const sampled = circularConvBound(poly, [n, n], options);
    const slack = (Math.PI / n) * (rowMoment + colMoment);
    best = Math.min(best, (sampled + slack) * (1 + 16 * U));
    if (slack <= 0.01 * sampled || 2 * n * n * costPerFrequency > budget) return best;
    n *= 2;
  }
}
