/** Model intent decided from the code: structure, names and the file's signals, each with where it was read. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import { invertibleName, words } from '../../src/extract/intent';
import type { FileIr, ModelNode } from '../../src/ir/model-ir';

const TF = "import * as tf from '@tensorflow/tfjs';";

function model(ir: FileIr, name: string): ModelNode {
  const m = ir.models.find((x) => x.name === name);
  assert.ok(m, `model ${name} in ${ir.models.map((x) => x.name).join(', ')}`);
  return m;
}

const resnet = (name: string, extra = ''): string =>
  [
    TF,
    'const x = tf.input({ shape: [8] });',
    'const h = tf.layers.dense({ units: 8 }).apply(x) as tf.SymbolicTensor;',
    `export const ${name} = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });`,
    extra,
  ].join('\n');

describe('intent', () => {
  it('splits identifiers into words and reads invertible names, acronyms only in capitals', () => {
    assert.deepEqual(words('buildRealNVPFlow'), ['build', 'real', 'nvp', 'flow']);
    assert.deepEqual(words('log_det_jac'), ['log', 'det', 'jac']);
    assert.ok(invertibleName('iResNet'));
    assert.ok(invertibleName('i_resnet'));
    assert.ok(invertibleName('buildNICE'));
    assert.ok(invertibleName('glowModel'));
    assert.equal(invertibleName('niceClassifier'), undefined);
    assert.equal(invertibleName('resnet'), undefined);
    assert.equal(invertibleName('madeUpName'), undefined);
  });

  it('a ResNet classifier is ordinary; the same skips are invertible with one more sign', () => {
    assert.equal(model(extractSource(resnet('resnet')), 'resnet').intent.kind, 'ordinary');
    const named = model(extractSource(resnet('iResNet')), 'iResNet').intent;
    assert.equal(named.kind, 'invertible');
    assert.deepEqual(
      named.signals.map((s) => s.message),
      ['x + g(x) blocks', "named 'iResNet'"],
    );
    const fixedPoint = [
      'export function invertBlock(y: tf.Tensor, g: (t: tf.Tensor) => tf.Tensor) {',
      '  let z = y;',
      '  for (let k = 0; k < 100; k++) z = tf.sub(y, g(z));',
      '  return z;',
      '}',
    ].join('\n');
    const fp = model(extractSource(resnet('net', fixedPoint)), 'net').intent;
    assert.equal(fp.kind, 'invertible');
    assert.ok(fp.signals.some((s) => /fixed-point inverse/.test(s.message) && s.range.start.line === 6));
    const logdet = model(extractSource(resnet('net', 'export let logDetJ = 0;')), 'net').intent;
    assert.ok(logdet.signals.some((s) => /log-determinant/.test(s.message)));
  });

  it('a plain MLP is not made invertible by the file it sits in (it may be a conditioner)', () => {
    const ir = extractSource(
      [
        TF,
        "import { Flow, AffineCoupling } from 'lipschitz-lens';",
        "export function subnet() { return tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'relu' })] }); }",
        "export const flow = new Flow({ layers: [new AffineCoupling({ scale: 'bounded-tanh' })] });",
        'export let logdet = 0;',
      ].join('\n'),
    );
    assert.equal(model(ir, 'subnet').intent.kind, 'ordinary');
    assert.equal(model(ir, 'flow').intent.kind, 'invertible');
    assert.deepEqual(
      model(ir, 'flow').intent.signals.map((s) => s.message),
      ['built as a Flow', 'contains AffineCoupling'],
    );
  });

  it('a gradient penalty makes the critic it concerns Lipschitz, not the generator', () => {
    const ir = extractSource(
      [
        TF,
        'export const generator = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4] })] });',
        'export const critic = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [8] })] });',
        'export function trainStep(real: tf.Tensor, z: tf.Tensor) {',
        '  const fake = generator.predict(z) as tf.Tensor;',
        '  const g = tf.grad((x: tf.Tensor) => critic.apply(x) as tf.Tensor)(real);',
        '  return tf.square(tf.norm(g, 2, 1).sub(1)).mean().add(tf.mean(critic.apply(fake) as tf.Tensor));',
        '}',
      ].join('\n'),
    );
    assert.equal(model(ir, 'generator').intent.kind, 'ordinary');
    const critic = model(ir, 'critic').intent;
    assert.equal(critic.kind, 'lipschitz');
    assert.match(critic.signals[0]!.message, /gradient penalty/);
    assert.equal(critic.signals[0]!.range.start.line, 5);
  });

  it('weight clipping and hinge losses are evidence; clipping activations is not', () => {
    const clip = extractSource(
      [
        TF,
        'export const disc = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [8] })] });',
        'export function clipWeights() {',
        '  for (const w of disc.trainableWeights) w.write(tf.clipByValue(w.read(), -0.01, 0.01));',
        '}',
      ].join('\n'),
    );
    assert.equal(model(clip, 'disc').intent.kind, 'lipschitz');
    const act = extractSource(
      [
        TF,
        'export const disc = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [8] })] });',
        'export const squash = (x: tf.Tensor) => tf.clipByValue(x, -1, 1);',
      ].join('\n'),
    );
    assert.equal(model(act, 'disc').intent.kind, 'ordinary');
    const hinge = extractSource(
      [
        TF,
        'export const critic = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [8] })] });',
        'export const dLoss = (r: tf.Tensor) => tf.losses.hingeLoss(tf.onesLike(r), r);',
      ].join('\n'),
    );
    assert.equal(model(hinge, 'critic').intent.kind, 'lipschitz');
  });

  it('a GAN discriminator trained with cross-entropy is ordinary, and says so', () => {
    const ir = extractSource(
      [
        TF,
        'export const discriminator = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [8], activation: "sigmoid" })] });',
        "discriminator.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });",
      ].join('\n'),
    );
    const d = model(ir, 'discriminator').intent;
    assert.equal(d.kind, 'ordinary');
    assert.match(d.signals[0]!.message, /binaryCrossentropy/);
  });

  it('spectral normalisation in a model asks for a global bound; invertibility wins over it', () => {
    const ir = extractSource(
      [
        TF,
        "import { spectralNorm, InvertibleResidual, Flow } from 'lipschitz-lens';",
        'export const robust = tf.sequential({ layers: [',
        '  tf.layers.dense({ units: 8, inputShape: [8], kernelConstraint: spectralNorm({ coeff: 1 }) }),',
        '  tf.layers.dense({ units: 2 }),',
        '] });',
        'export const flow = new Flow({ layers: [new InvertibleResidual({ coeff: 0.9 })] });',
      ].join('\n'),
    );
    assert.equal(model(ir, 'robust').intent.kind, 'lipschitz');
    assert.equal(model(ir, 'flow').intent.kind, 'invertible');
  });
});
