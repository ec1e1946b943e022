/** Model intent decided from the code: structure, names and the file's signals, each with where it was read. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import { invertibleName, isLogDetName, words } from '../../src/extract/intent';
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

  it('does not read log-dets, inverses or fixed points into code that has none', () => {
    assert.equal(isLogDetName('buildJson'), false);
    assert.equal(isLogDetName('logDetails'), false);
    assert.equal(isLogDetName('logDetCov'), false, "a Gaussian's covariance, not a Jacobian");
    assert.ok(isLogDetName('logdet') && isLogDetName('log_abs_det') && isLogDetName('sldj'));
    const ordinary = (extra: string): string => model(extractSource(resnet('net', extra)), 'net').intent.kind;
    assert.equal(ordinary('export const buildJson = () => 1; export let logDetails = 0;'), 'ordinary');
    assert.equal(
      ordinary('export class Scaler { inverseTransform(y: number) { return y; } }'),
      'ordinary',
      'a scaler inverse is not a model inverse',
    );
    assert.equal(
      ordinary(
        'export function track(l: number[]) { let ema = 0; for (const v of l) ema = ema - 0.1 * (ema - v); }',
      ),
      'ordinary',
      'an EMA update is not a fixed-point inverse',
    );
    // A weak sign ("flow" in the name) is overruled by an ordinary objective on the model.
    const traffic = extractSource(
      resnet('trafficFlowNet', "trafficFlowNet.compile({ optimizer: 'adam', loss: 'meanSquaredError' });"),
    );
    assert.equal(model(traffic, 'trafficFlowNet').intent.kind, 'ordinary');
    assert.equal(model(extractSource(resnet('residualFlow')), 'residualFlow').intent.kind, 'invertible');
    // A conditioner net named after its coupling is a part, not the flow.
    assert.equal(model(extractSource(resnet('couplingNet')), 'couplingNet').intent.kind, 'ordinary');
  });

  it('a gradient penalty needs the penalty shape and concerns the models it differentiates', () => {
    const pgd = extractSource(
      [
        TF,
        'export const classifier = tf.sequential({ layers: [tf.layers.dense({ units: 10, inputShape: [8] })] });',
        'export function attack(x: tf.Tensor) {',
        '  const g = tf.grad((v: tf.Tensor) => (classifier.apply(v) as tf.Tensor).sum())(x);',
        '  return x.add(g.div(tf.norm(g)).mul(0.1));',
        '}',
      ].join('\n'),
    );
    assert.equal(model(pgd, 'classifier').intent.kind, 'ordinary', 'a PGD attack normalises gradients');
    const gd = extractSource(
      [
        TF,
        'export const G = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4] })] });',
        'export const D = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [8] })] });',
        'export function dLoss(real: tf.Tensor, z: tf.Tensor) {',
        '  const fake = G.apply(z) as tf.Tensor;',
        '  const g = tf.grad((x: tf.Tensor) => (D.apply(x) as tf.Tensor).sum())(real);',
        '  return tf.mean(D.apply(fake) as tf.Tensor).add(tf.square(tf.norm(g).sub(1)));',
        '}',
      ].join('\n'),
    );
    assert.equal(model(gd, 'D').intent.kind, 'lipschitz');
    assert.equal(model(gd, 'G').intent.kind, 'ordinary');
    const svm = extractSource(
      [
        TF,
        'export const svm = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [8] })] });',
        "svm.compile({ optimizer: 'sgd', loss: tf.losses.hingeLoss });",
      ].join('\n'),
    );
    assert.equal(model(svm, 'svm').intent.kind, 'ordinary', 'a hinge loss trains SVMs too');
  });
});
