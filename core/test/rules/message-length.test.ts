/**
 * Every message leads with a sentence that fits the Problems panel (FIRST_SENTENCE_MAX characters): checked on
 * every finding the linter reports on the real corpus and examples, and on every rule's templates rendered with
 * realistic data, so a message no corpus file triggers yet is held to it too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelExtractor } from '../../src/extract';
import { allRules, lintFile } from '../../src/rules';
import { explanation, FIRST_SENTENCE_MAX, firstSentence } from '../../src/rules/message-text';
import { renderMessage } from '../../src/rules/rule';
import { corpusFiles } from '../corpus/score';

const root = join(__dirname, '..', '..', '..');

/** Values as long as the corpus renders them (its longest model names, layer labels and activations). */
const REALISTIC: Record<string, string> = {
  layer: 'tf.layers.conv2dTranspose',
  model: 'buildSplitResNet',
  what: "tf.layers.conv2d with activation 'relu'",
  where: "a residual branch of invertible model 'ResidualFlow'",
  reason: "lipschitz (a Wasserstein objective ('TimeSeriesWGAN'); a gradient penalty ('gpWeight'))",
  className: 'LogitPreprocess',
  wiring: 'affine-coupling',
  constraint: 'minMaxNorm',
  units: '512',
  maxValue: '0.9',
  bound: '20.36',
  c: '0.99',
  lip: '0.9801',
  inverse: '50.25',
  tolerance: '0.000001',
  iterations: '688',
  constant: '1.758',
  from: '784',
  to: '10',
  form: 'softplus',
};

function tooLong(messages: Iterable<string>): string[] {
  return [...messages].filter((m) => firstSentence(m).length > FIRST_SENTENCE_MAX);
}

describe('firstSentence', () => {
  it('ends at a full stop followed by a space, not at dots inside tokens', () => {
    const m = 'tf.layers.dense coefficient c=0.99 is close to 1. With L = 0.98 it is slow.';
    assert.equal(firstSentence(m), 'tf.layers.dense coefficient c=0.99 is close to 1.');
    assert.equal(explanation(m), 'With L = 0.98 it is slow.');
    assert.equal(firstSentence('no stop at all'), 'no stop at all');
    assert.equal(explanation('One sentence.'), '');
  });
});

describe('message length', () => {
  it(`every finding on the corpus and examples leads with at most ${FIRST_SENTENCE_MAX} characters`, () => {
    const extractor = new ModelExtractor({ rootDir: root });
    const files = [...corpusFiles(join(root, 'corpus')), ...corpusFiles(join(root, 'examples'))];
    const messages = new Set<string>();
    const rendered = new Set<string>();
    for (const file of files)
      for (const f of lintFile(extractor.extractFile(file), readFileSync(file, 'utf8'))) {
        messages.add(f.message);
        rendered.add(`${f.ruleId}/${f.messageId}`);
      }
    // The corpus exercises most messages: a check of a handful would say little.
    assert.ok(rendered.size >= 20, `only ${rendered.size} messages rendered`);
    assert.deepEqual(tooLong(messages), []);
  });

  for (const [id, rule] of Object.entries(allRules)) {
    it(`${id}: each template leads with at most ${FIRST_SENTENCE_MAX} characters on realistic data`, () => {
      const templates = Object.values<string>(rule.meta.messages);
      const missing = templates
        .flatMap((t) => [...t.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!))
        .filter((key) => !(key in REALISTIC));
      assert.deepEqual(missing, [], `add realistic values for ${missing.join(', ')} to this test`);
      const texts = templates.map((t) => renderMessage(t, REALISTIC));
      assert.deepEqual(tooLong(texts), []);
      // The explanation follows the first sentence: a message of one long sentence is what this prevents.
      assert.deepEqual(
        texts.filter((t) => explanation(t) === ''),
        [],
      );
    });
  }
});
