/**
 * The keystroke path of the language server: update the document in the long-lived extractor, extract, compute
 * bounds and run every rule. Prints p50/p90 per file over repeated edits. Run: npx tsx bench/lint.bench.ts
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { computeBounds } from '../core/src/bounds';
import { ModelExtractor } from '../core/src/extract';
import { lintFile } from '../core/src/rules';
import { quantile, residualBlocksModel } from './generated-model';

const EDITS = 30;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function measure(
  extractor: ModelExtractor,
  path: string,
  text: string,
): { p50: number; p90: number; findings: number } {
  const times: number[] = [];
  let findings = 0;
  for (let i = 0; i < EDITS; i++) {
    // Each edit changes the text, as typing does, so nothing is served from a cache.
    const edited = `${text}\n// edit ${i}\n`;
    const t0 = performance.now();
    extractor.updateFile(path, edited);
    const ir = extractor.extractFile(path);
    const bounds = computeBounds(ir);
    findings = lintFile(ir, edited, { bounds }).length;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p90: quantile(times, 0.9), findings };
}

const root = join(__dirname, '..');
const extractor = new ModelExtractor({ rootDir: root });
console.log(`update + extract + bounds + all rules, ${EDITS} edits per file (ms)`);
for (const path of files(join(root, 'examples'))) {
  const text = readFileSync(path, 'utf8');
  const r = measure(extractor, path, text);
  const lines = text.split('\n').length;
  console.log(
    `  ${path.slice(root.length + 1).padEnd(32)} ${String(lines).padStart(5)} lines  p50 ${r.p50.toFixed(1).padStart(6)}  p90 ${r.p90.toFixed(1).padStart(6)}  findings ${r.findings}`,
  );
}
const big = residualBlocksModel(2500);
const r = measure(extractor, join(root, 'examples/generated-big.ts'), big);
console.log(
  `  generated, ${big.split('\n').length} lines            p50 ${r.p50.toFixed(1).padStart(6)}  p90 ${r.p90.toFixed(1).padStart(6)}  findings ${r.findings}`,
);
