/** Checks every layer test repeats: tensor leaks. */
import * as tf from '@tensorflow/tfjs';

/** Tensors left behind by `fn` once its returned tensors are disposed. */
export function leakedTensors(
  fn: () => tf.Tensor | tf.Tensor[] | { [key: string]: tf.Tensor } | undefined,
): number {
  const before = tf.memory().numTensors;
  const out = fn();
  if (out instanceof tf.Tensor) out.dispose();
  else if (Array.isArray(out)) tf.dispose(out);
  else if (out !== undefined) tf.dispose(Object.values(out));
  return tf.memory().numTensors - before;
}
