/**
 * Ops whose tfjs gradient needs a kernel the wasm backend (4.22) lacks, rewritten so that forward values stay
 * the same kernels' and the gradients use only kernels every backend has. Without them the audit's gradient
 * probes had to rerun on the slow cpu backend (issue 12, item 6):
 * - gather's gradient is UnsortedSegmentSum; a permutation's gradient is the inverse permutation, a gather too.
 * - conv2d's filter gradient is Conv2DBackpropFilter; on a backend without it, it is one matMul per kernel tap
 *   over strided slices of the padded input.
 * - conv2d's input gradient is Conv2DBackpropInput, which wasm has but runs ~8x slower than a conv2d of the same
 *   size; at stride 1 it is a conv2d with the flipped kernel (issue 12, item 7).
 * Higher-order gradients through the permutation are not defined (tfjs custom gradients are first order), as
 * for the probes' other ops: Jacobian-vector products use finite differences.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * out[..., i] = x[..., perm[i]] along the last axis; `inv` must be perm's inverse. Same values as tf.gather
 * (it is a gather); the gradient gathers dy with `inv`, exact like the forward.
 */
export function permuteLastAxis(x: tf.Tensor, perm: readonly number[], inv: readonly number[]): tf.Tensor {
  const axis = x.rank - 1;
  const permute = tf.customGrad((input, save) => {
    void save; // nothing to keep: the gradient only needs the indices
    return {
      value: tf.gather(input as tf.Tensor, perm as number[], axis),
      gradFunc: (dy: tf.Tensor) => tf.gather(dy, inv as number[], axis),
    };
  });
  return permute(x);
}

/** TF's 'same' padding on one axis: [before, after], the odd pixel after. */
function samePads(size: number, k: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * d<sum(conv2d(x, kernel) * dy)>/d kernel: tap (a, b) of the kernel sees the padded input at rows a, a + s, ...
 * and columns b, b + s, ..., so its [cin, cout] block is that slice's channels times dy, summed over batch and
 * positions.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernelShape: readonly number[],
  strides: [number, number],
  padding: 'same' | 'valid',
): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernelShape as [number, number, number, number];
  const [batch, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const [sh, sw] = strides;
  const pads =
    padding === 'same' ? [samePads(h, kh, sh), samePads(w, kw, sw)] : [[0, 0] as const, [0, 0] as const];
  const padded = tf.pad(x, [[0, 0], [...pads[0]!], [...pads[1]!], [0, 0]]);
  const dy2 = dy.reshape([batch * oh * ow, cout]);
  const taps: tf.Tensor2D[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const seen =
        sh === 1 && sw === 1
          ? tf.slice(padded, [0, a, b, 0], [batch, oh, ow, cin])
          : tf.stridedSlice(
              padded,
              [0, a, b, 0],
              [batch, a + (oh - 1) * sh + 1, b + (ow - 1) * sw + 1, cin],
              [1, sh, sw, 1],
            );
      taps.push(tf.matMul(seen.reshape([batch * oh * ow, cin]) as tf.Tensor2D, dy2, true, false));
    }
  }
  return tf.stack(taps).reshape([kh, kw, cin, cout]);
}

/**
 * d<sum(conv2d(x, kernel) * dy)>/d x for stride 1 and dilation 1, as a forward convolution: the input gradient is
 * dy correlated with the kernel flipped in space and with its channel axes swapped, dy padded by k - 1 - p on the
 * side where the forward pass padded p. The same products as Conv2DBackpropInput, in the kernel XNNPACK runs.
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  kernel: tf.Tensor4D,
  inputShape: readonly number[],
  padding: 'same' | 'valid',
): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  const [, h, w] = inputShape as [number, number, number, number];
  // Flipping both spatial axes reverses the flattened tap index; as a product with the anti-identity it costs
  // 0.1 ms where tf.reverse took 3.5 ms on wasm (a non-finite weight then spreads NaN to every tap's gradient,
  // which a 3x3 'same' convolution's interior gradient already mixes).
  const taps = kh * kw;
  const antiIdentity = tf.tensor2d(
    Array.from({ length: taps * taps }, (_, i) => (i % taps === taps - 1 - Math.floor(i / taps) ? 1 : 0)),
    [taps, taps],
  );
  const reversed = tf.matMul(antiIdentity, tf.reshape(kernel, [taps, cin * cout]));
  const flipped = tf.transpose(tf.reshape(reversed, [kh, kw, cin, cout]), [0, 1, 3, 2]) as tf.Tensor4D;
  const [top, bottom] = padding === 'same' ? samePads(h, kh, 1) : [0, 0];
  const [left, right] = padding === 'same' ? samePads(w, kw, 1) : [0, 0];
  const padded = tf.pad(dy, [
    [0, 0],
    [kh - 1 - top, kh - 1 - bottom],
    [kw - 1 - left, kw - 1 - right],
    [0, 0],
  ]);
  return tf.conv2d(padded, flipped, 1, 'valid');
}

/**
 * Backends whose Conv2DBackpropInput is much slower than their Conv2D: tfjs-backend-wasm 4.22 runs it as a plain
 * loop and Conv2D in XNNPACK; on [16, 4, 4, 128] with a 3x3 128 -> 128 kernel (the Glow example's conditioner)
 * 14.1 ms against 3.0 ms for conv2dInputGradient, and these input gradients were most of the audit's time.
 */
const SLOW_INPUT_GRADIENT_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

/**
 * Below this many input positions (batch x height x width) the kernel flip costs more than the loop it saves:
 * the two broke even at 32 on wasm for 3x3 kernels of 4 to 128 channels (2 cores).
 */
const FAST_INPUT_GRADIENT_MIN_POSITIONS = 32;

/** Marks the gradients installed here, so a second copy of this module does not wrap them again. */
const PORTABLE = Symbol.for('lipschitz-lens.portable-filter-gradient');

/**
 * For each kernel whose filter gradient is Conv2DBackpropFilter: from the upstream gradient and the saved
 * tensors, [the convolution's input, its output's gradient, the filter]. Conv2DBackpropInput (conv2dTranspose)
 * is a convolution read backwards: its upstream gradient plays the input and its saved dy the output gradient.
 */
const FILTER_GRADIENT_OPERANDS: Record<string, (g: tf.Tensor4D, saved: tf.Tensor4D[]) => tf.Tensor4D[]> = {
  [tf.Conv2D]: (g, [x, filter]) => [x!, g, filter!],
  [tf.Conv2DBackpropInput]: (g, [dy, filter]) => [g, dy!, filter!],
};

/**
 * Replaces tfjs's gradients of Conv2D and Conv2DBackpropInput by ones whose filter part uses conv2dFilterGradient
 * on a backend without Conv2DBackpropFilter, whose input part (Conv2D, stride 1) uses conv2dInputGradient on a
 * backend in SLOW_INPUT_GRADIENT_BACKENDS, and tfjs's own kernel everywhere else (cpu stays bit-identical). A
 * gradient config, not a tf.customGrad: tfjs evaluates a config's parts lazily, only for the inputs on the path
 * to what is differentiated, so input gradients (most probes) never compute the filter part; a custom gradient
 * computes all of them and made the Glow audit ~2.7x slower.
 */
function ensureConvGradients(): void {
  for (const [kernelName, operands] of Object.entries(FILTER_GRADIENT_OPERANDS)) {
    const native = tf.getGradient(kernelName);
    if (native === undefined || (native.gradFunc as { [PORTABLE]?: true })[PORTABLE] === true) continue;
    const gradFunc = (g: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const parts = native.gradFunc(g, saved, attrs);
      const { strides, pad, dataFormat, dilations } = attrs as unknown as tf.Conv2DAttrs;
      if ((pad !== 'same' && pad !== 'valid') || dataFormat !== 'NHWC') return parts;
      const backend = tf.getBackend();
      // g is one tensor: both kernels have one output.
      const [x, dy, filter] = operands(g as tf.Tensor4D, saved as tf.Tensor4D[]) as [
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor4D,
      ];
      const s: [number, number] = typeof strides === 'number' ? [strides, strides] : strides;
      const unit = (v: number | [number, number] | undefined): boolean =>
        v === undefined || (typeof v === 'number' ? v === 1 : v[0] === 1 && v[1] === 1);
      const fastInput =
        kernelName === tf.Conv2D &&
        SLOW_INPUT_GRADIENT_BACKENDS.has(backend) &&
        unit(strides) &&
        unit(dilations) &&
        x.shape[0] * x.shape[1] * x.shape[2] >= FAST_INPUT_GRADIENT_MIN_POSITIONS;
      const portableFilter = tf.getKernel(tf.Conv2DBackpropFilter, backend) === undefined;
      return {
        ...parts,
        ...(fastInput ? { x: () => conv2dInputGradient(dy, filter, x.shape, pad) } : {}),
        ...(portableFilter ? { filter: () => conv2dFilterGradient(x, dy, filter.shape, s, pad) } : {}),
      };
    };
    Object.assign(gradFunc, { [PORTABLE]: true });
    tf.registerGradient({ ...native, gradFunc });
  }
}

/**
 * tf.conv2d(x, kernel, strides, padding), NHWC: the same kernel for the value, and gradients that run on wasm
 * and run fast there (see ensureConvGradients).
 */
export function conv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  strides: number | [number, number],
  padding: 'same' | 'valid',
): tf.Tensor4D {
  ensureConvGradients();
  return tf.conv2d(x, kernel, strides, padding);
}

/** tf.conv2dTranspose, NHWC, with a filter gradient that runs on wasm (see ensureConvGradients). */
export function conv2dTranspose(
  y: tf.Tensor4D,
  kernel: tf.Tensor4D,
  outputShape: [number, number, number, number],
  strides: [number, number],
  padding: 'same' | 'valid',
): tf.Tensor4D {
  ensureConvGradients();
  return tf.conv2dTranspose(y, kernel, outputShape, strides, padding);
}
