// What a user of the published package does first (run by scripts/check-package.mjs in a fresh project holding
// only the packed tarball and plain @tensorflow/tfjs): build a flow of the library's blocks, train it by maximum
// likelihood for a few steps, save it, load it back, and check the reloaded flow computes the same map.
const tf = require('@tensorflow/tfjs');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const lens = require('lipschitz-lens');

function check(ok, what) {
  if (!ok) throw new Error(`package check failed: ${what}`);
  console.log(`ok: ${what}`);
}

async function main() {
  const d = 4;
  const flow = new lens.Flow([
    new lens.ActNorm({ name: 'actnorm' }),
    new lens.AdditiveCoupling({ hiddenUnits: 16, zeroInit: false, seed: 1, name: 'additive' }),
    new lens.Permutation({ seed: 2, name: 'perm' }),
    new lens.AffineCoupling({
      scale: 'bounded-tanh',
      hiddenUnits: 16,
      zeroInit: false,
      seed: 3,
      name: 'affine',
    }),
  ]);
  // A correlated Gaussian, so the flow has something to learn.
  const z = tf.randomNormal([256, d], 0, 1, 'float32', 7);
  const data = tf.matMul(z, tf.tensor2d([2, 0, 0, 0, 1, 0.5, 0, 0, 0, 0, 3, 0, 0.2, 0, 0, 0.5], [d, d]));
  flow.initialize(data);
  // Negative log-likelihood under a standard normal base, per point.
  const nll = () =>
    tf.tidy(() => {
      const { y, logDet } = flow.forwardWithLogDet(data);
      const logp = tf.sub(tf.mul(-0.5, tf.sum(tf.square(y), 1)), (d / 2) * Math.log(2 * Math.PI));
      return tf.neg(tf.mean(tf.add(logp, logDet)));
    });
  const before = tf.tidy(() => nll().dataSync()[0]);
  const optimizer = tf.train.adam(1e-2);
  const vars = flow.blocks.flatMap((b) => b.trainableWeights.map((w) => w.read()));
  // The first step creates Adam's moment variables; every later one must leave the tensor count as it was.
  tf.dispose(optimizer.minimize(nll, true, vars));
  const tensors = tf.memory().numTensors;
  for (let step = 1; step < 20; step++) tf.dispose(optimizer.minimize(nll, true, vars));
  const after = tf.tidy(() => nll().dataSync()[0]);
  check(
    Number.isFinite(after) && after < before,
    `20 Adam steps lower the NLL (${before.toFixed(3)} -> ${after.toFixed(3)})`,
  );
  check(
    tf.memory().numTensors === tensors,
    `training leaks no tensors (${tensors} before and after 19 steps)`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'lens-package-'));
  try {
    await flow.toModel([d], 'flow').save(lens.fileSystemIO(dir));
    const loaded = lens.Flow.fromModel(await tf.loadLayersModel(lens.fileSystemIO(dir)));
    const x = data.slice([0, 0], [8, d]);
    const a = flow.forward(x);
    const b = loaded.forward(x);
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    check(diff === 0, `the reloaded flow computes the same map (max difference ${diff})`);
    const back = loaded.inverse(b);
    const err = tf.max(tf.abs(tf.sub(back, x))).dataSync()[0];
    check(err < 1e-4, `the reloaded flow inverts (max error ${err.toExponential(2)})`);
    // Infinity for the affine coupling (not globally bi-Lipschitz): the same from the reloaded weights.
    const [was, now] = [flow.lipschitzBounds(), loaded.lipschitzBounds()];
    check(
      was.forward === now.forward && was.inverse === now.inverse,
      `the reloaded flow has the same bounds (forward ${now.forward}, inverse ${now.inverse})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
