import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource, ModelExtractor } from '../../src/extract';
import { flattenDeepNesting } from '../../src/extract/nesting';

const HEAD = `import * as tf from '@tensorflow/tfjs';
export const before = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2] })] });
`;
const TAIL = `
export const after = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] })] });
`;

/** Generated or hostile code, each `n` levels deep. */
const SHAPES: Record<string, (n: number) => string> = {
  'nested calls': (n) => `const x = ${'f('.repeat(n)}1${')'.repeat(n)};`,
  'nested tf calls': (n) => `const x = ${'tf.relu('.repeat(n)}1${')'.repeat(n)};`,
  'nested arrays': (n) => `const x = ${'['.repeat(n)}1${']'.repeat(n)};`,
  'nested objects': (n) => `const x = ${'{ a: '.repeat(n)}1${' }'.repeat(n)};`,
  'nested arrow functions': (n) => `const x = ${'() => '.repeat(n)}1;`,
  'called arrow functions': (n) => `const x = ${'(() => '.repeat(n)}1${')()'.repeat(n)};`,
  'a chain of +': (n) => `const x = ${'1 + '.repeat(n)}1;`,
  'a method chain': (n) => `const x = a${'.b()'.repeat(n)};`,
  'nested conditionals': (n) => `const x = ${'a ? 1 : '.repeat(n)}1;`,
  'prefix operators': (n) => `const x = ${'!'.repeat(n)}1;`,
  'an else-if chain': (n) => `${'if (a) {} else '.repeat(n)}{}`,
  'nested blocks': (n) => `${'{'.repeat(n)}${'}'.repeat(n)}`,
  'nested templates': (n) => `const x = ${'`${'.repeat(n)}1${'}`'.repeat(n)};`,
  'nested functions': (n) => `${'function f() {'.repeat(n)}${'}'.repeat(n)}`,
};

describe('extract: deep nesting is cut with a note, the rest of the file is read', () => {
  for (const depth of [1000, 5000, 20000])
    for (const [shape, make] of Object.entries(SHAPES)) {
      it(`${shape}, ${depth} deep`, () => {
        const ir = extractSource(HEAD + make(depth) + TAIL, 'deep.ts');
        assert.deepEqual(
          ir.models.map((m) => m.name),
          ['before', 'after'],
          JSON.stringify(ir.notes.slice(0, 3)),
        );
        const deep = ir.notes.filter((n) => /^Nested (more than \d+ levels deep|too deeply)/.test(n.message));
        // The parser takes about 1,100 arrows on a default stack and the interpreter never follows a function it
        // is not calling, so at 1,000 the chain may be read whole, with nothing to report.
        if (depth > 1000 || shape !== 'nested arrow functions')
          assert.ok(deep.length > 0, JSON.stringify(ir.notes.slice(0, 3)));
        // Where it stopped: on the line of the deep construct (line 3), or the file's start for a whole-file pass.
        assert.ok(
          deep.every((n) => n.range.start.line === 2 || n.range.start.line === 0),
          JSON.stringify(deep),
        );
      });
    }

  it('the extractor gives the text as written for a file it had to blank to parse', () => {
    const text = HEAD + SHAPES['nested calls']!(5000) + TAIL;
    const extractor = new ModelExtractor();
    extractor.updateFile('/tmp/ll-deep/deep.ts', text);
    assert.equal(extractor.extractFile('/tmp/ll-deep/deep.ts').models.length, 2);
    assert.equal(extractor.textOf('/tmp/ll-deep/deep.ts'), text);
  });

  it('leaves ordinary code alone: no note, and the text is not changed', () => {
    const text = `${HEAD}const cfg = { a: [1, 2, { b: (x: number) => (x > 0 ? -x : !x) }] };\nconst s = \`v\${cfg.a[0]}\`;${TAIL}`;
    assert.equal(flattenDeepNesting(text, 256).text, text);
    const ir = extractSource(text, 'plain.ts');
    assert.ok(!ir.notes.some((n) => /^Nested/.test(n.message)), JSON.stringify(ir.notes));
  });

  it('blanks only what is deeper than the limit, keeping lines and columns', () => {
    // The initializer's `=` is a level too (the parser recurses into it), so two levels keep `f(f(`.
    const text = `const x = f(f(f(f(1))));\nconst y = 2;`;
    const flat = flattenDeepNesting(text, 2);
    assert.equal(flat.text, `const x = f(f(       ));\nconst y = 2;`);
    assert.deepEqual(flat.cuts, [{ start: 14, end: 21 }]);
  });

  it('puts an operand where an arrow or prefix chain was cut', () => {
    assert.equal(
      flattenDeepNesting('const x = () => () => () => 1;', 2).text,
      'const x = () => () =>0       ;',
    );
    assert.equal(flattenDeepNesting('const x = !!!!1;', 2).text, 'const x = !!0  ;');
  });
});
