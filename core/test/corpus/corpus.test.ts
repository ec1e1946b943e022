/**
 * Lints the annotated corpus (corpus/, realistic model code in many styles; see corpus/README.md) and holds the
 * linter to the issue 9 goals: precision of error/warning findings >= 95%, recall of annotated findings >= 90%.
 * On failure the message lists every false positive or miss. `npx tsx bench/corpus.bench.ts` prints the details.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { formatFalsePositives, formatMisses, formatSummary, lintCorpus, score, type CorpusRun, type Score } from './score';

const root = join(__dirname, '..', '..', '..');
const corpusDir = join(root, 'corpus');
const MIN_PRECISION = 0.95;
const MIN_RECALL = 0.9;

describe('corpus', () => {
  let run: CorpusRun;
  let result: Score;

  before(() => {
    run = lintCorpus(corpusDir, root);
    result = score(run.expectations, run.actual, run.files);
  });

  it('has at least 40 model files, a third of them ordinary, and annotations of every band', () => {
    assert.ok(run.files.length >= 40, `${run.files.length} files`);
    const flagged = new Set(run.expectations.filter((e) => e.severity === 'error' || e.severity === 'warning').map((e) => e.file));
    assert.ok(run.files.length - flagged.size >= run.files.length / 3, `${flagged.size} of ${run.files.length} files expect errors or warnings`);
    for (const s of ['error', 'warning', 'info', 'hint']) {
      assert.ok(
        run.expectations.some((e) => e.severity === s),
        `no ${s} expectation`,
      );
    }
  });

  it('lints every file without throwing', () => {
    assert.deepEqual(
      run.crashes.map((c) => `${c.file}: ${c.error.split('\n')[0]}`),
      [],
    );
  });

  it(`precision of error/warning findings >= ${MIN_PRECISION * 100}%`, () => {
    assert.ok(result.precision >= MIN_PRECISION, `${formatSummary(result)}\nfalse positives:\n${formatFalsePositives(result)}`);
  });

  it(`recall of annotated findings >= ${MIN_RECALL * 100}%`, () => {
    assert.ok(result.recall >= MIN_RECALL, `${formatSummary(result)}\nmisses:\n${formatMisses(result)}`);
  });
});
