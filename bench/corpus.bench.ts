/**
 * The linter against the annotated corpus (corpus/README.md): precision of error/warning findings and recall of
 * annotated findings, per file and overall, then every false positive and every miss.
 * Run: npx tsx bench/corpus.bench.ts
 */
import { join } from 'node:path';
import {
  formatBands,
  formatFalsePositives,
  formatMisses,
  formatPerFile,
  formatSummary,
  lintCorpus,
  score,
} from '../core/test/corpus/score';

const root = join(__dirname, '..');
const run = lintCorpus(join(root, 'corpus'), root);
const result = score(run.expectations, run.actual, run.files);

const bySeverity = (s: string) => run.expectations.filter((e) => e.severity === s).length;
console.log(
  `${run.files.length} files, ${run.expectations.length} expectations ` +
    `(error ${bySeverity('error')}, warning ${bySeverity('warning')}, info ${bySeverity('info')}, hint ${bySeverity('hint')})\n`,
);
console.log(formatPerFile(result));
console.log(`\noverall: ${formatSummary(result)} (goals: precision >= 95%, recall >= 90%)`);
console.log(`recall by band: ${formatBands(result)}`);
if (run.crashes.length > 0) {
  console.log(`\ncrashes (${run.crashes.length}):`);
  for (const c of run.crashes) console.log(`  ${c.file}: ${c.error}`);
}
console.log(`\nfalse positives (${result.falsePositives.length}):`);
if (result.falsePositives.length > 0) console.log(formatFalsePositives(result));
console.log(`\nmisses (${result.misses.length}):`);
if (result.misses.length > 0) console.log(formatMisses(result));
