/** The corpus scorer itself: annotation parsing, routing/deduplication, and precision/recall on a hand-made case. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AnnotationError, parseExpectations, routeFindings, score, type Actual, type Severity } from './score';

const corpus = join('/', 'repo', 'corpus');
const finding = (file: string, line0: number, ruleId: string, severity: Severity, message = 'm') => ({
  ruleId,
  severity,
  message,
  range: { file, start: { line: line0, character: 0 } },
});

describe('parseExpectations', () => {
  it('reads trailing and next-line annotations with 1-based lines', () => {
    const text = [
      "const a = tf.layers.dense({ units: 1 }); // expect: missing-lipschitz-constraint@info",
      '// expect-next-line: unbounded-coupling-scale@warning, non-lipschitz-activation@error',
      'const s = tf.exp(h);',
    ].join('\n');
    assert.deepEqual(parseExpectations(text, 'a.ts'), [
      { file: 'a.ts', line: 1, ruleId: 'missing-lipschitz-constraint', severity: 'info' },
      { file: 'a.ts', line: 3, ruleId: 'unbounded-coupling-scale', severity: 'warning' },
      { file: 'a.ts', line: 3, ruleId: 'non-lipschitz-activation', severity: 'error' },
    ]);
  });

  it('rejects a missing severity, an unknown severity or rule, and duplicates', () => {
    assert.throws(() => parseExpectations('x; // expect: missing-lipschitz-constraint', 'a.ts'), AnnotationError);
    assert.throws(() => parseExpectations('x; // expect: missing-lipschitz-constraint@fatal', 'a.ts'), AnnotationError);
    assert.throws(() => parseExpectations('x; // expect: no-such-rule@error', 'a.ts'), AnnotationError);
    assert.throws(
      () => parseExpectations('x; // expect: non-lipschitz-activation@error, non-lipschitz-activation@warning', 'a.ts'),
      AnnotationError,
    );
    assert.throws(() => parseExpectations('x; // expect-next-line: non-lipschitz-activation@error', 'a.ts'), AnnotationError);
  });
});

describe('routeFindings', () => {
  it('routes by range.file, drops files outside the corpus and keeps the most severe per (file, rule, line)', () => {
    const actual = routeFindings(
      [
        finding(join(corpus, 'sub', 'blocks.ts'), 4, 'missing-lipschitz-constraint', 'info'),
        finding(join(corpus, 'sub', 'blocks.ts'), 4, 'missing-lipschitz-constraint', 'error', 'branch'),
        finding(join(corpus, 'sub', 'blocks.ts'), 4, 'missing-lipschitz-constraint', 'warning'),
        finding(join('/', 'repo', 'examples', 'x.ts'), 0, 'missing-lipschitz-constraint', 'error'),
        finding(`file://${join(corpus, 'b.ts')}`, 9, 'unbounded-coupling-scale', 'warning'),
      ],
      corpus,
      join('/', 'repo'),
    );
    assert.deepEqual(actual, [
      { file: 'b.ts', line: 10, ruleId: 'unbounded-coupling-scale', severity: 'warning', message: 'm' },
      { file: 'sub/blocks.ts', line: 5, ruleId: 'missing-lipschitz-constraint', severity: 'error', message: 'branch' },
    ]);
  });
});

describe('score', () => {
  const expectations = parseExpectations(
    [
      'a; // expect: missing-lipschitz-constraint@error', // 1: found as error -> match
      'b; // expect: unbounded-coupling-scale@warning', // 2: found as error -> miss and false positive
      'c; // expect: missing-lipschitz-constraint@info', // 3: found as hint -> match (same band)
      'd; // expect: unbounded-inverse-gain@hint', // 4: not found -> miss
      'e;', // 5: un-annotated warning -> false positive; un-annotated info on line 6 is ignored
      'f;',
    ].join('\n'),
    'm.ts',
  );
  const actual: Actual[] = [
    { file: 'm.ts', line: 1, ruleId: 'missing-lipschitz-constraint', severity: 'error', message: '' },
    { file: 'm.ts', line: 2, ruleId: 'unbounded-coupling-scale', severity: 'error', message: '' },
    { file: 'm.ts', line: 3, ruleId: 'missing-lipschitz-constraint', severity: 'hint', message: '' },
    { file: 'm.ts', line: 5, ruleId: 'non-invertible-op-in-flow', severity: 'warning', message: '' },
    { file: 'm.ts', line: 6, ruleId: 'missing-lipschitz-constraint', severity: 'info', message: '' },
  ];

  it('computes precision over error/warning findings and recall by severity band', () => {
    const s = score(expectations, actual, ['m.ts', 'empty.ts']);
    assert.equal(s.actualErrorsWarnings, 3);
    assert.equal(s.truePositives, 1);
    assert.equal(s.precision, 1 / 3);
    assert.equal(s.matchedExpectations, 2);
    assert.equal(s.recall, 2 / 4);
    assert.deepEqual(
      s.misses.map((m) => [m.expectation.line, m.got?.severity]),
      [
        [2, 'error'],
        [4, undefined],
      ],
    );
    assert.deepEqual(
      s.falsePositives.map((f) => [f.actual.line, f.expected?.severity]),
      [
        [2, 'warning'],
        [5, undefined],
      ],
    );
    assert.deepEqual(s.byBand, {
      error: { expected: 1, matched: 1 },
      warning: { expected: 1, matched: 0 },
      info: { expected: 2, matched: 1 },
    });
    assert.deepEqual(s.perFile, [
      { file: 'empty.ts', expected: 0, matched: 0, actualErrorsWarnings: 0, falsePositives: 0 },
      { file: 'm.ts', expected: 4, matched: 2, actualErrorsWarnings: 3, falsePositives: 2 },
    ]);
  });

  it('is perfect on an exact match and on an empty corpus', () => {
    const exact = score(
      expectations,
      expectations.map((e) => ({ ...e, message: '' })),
    );
    assert.equal(exact.precision, 1);
    assert.equal(exact.recall, 1);
    const empty = score([], []);
    assert.equal(empty.precision, 1);
    assert.equal(empty.recall, 1);
  });
});
