/**
 * Every file under examples/ carries `// expect: <rule-id>[, ...]` on the line where each finding starts; the
 * linter must produce exactly that set of (rule id, 1-based line), hints included.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ModelExtractor } from '../../src/extract';
import { lintFile } from '../../src/rules';

const root = join(__dirname, '..', '..', '..');
const examplesDir = join(root, 'examples');
const SOURCE = /\.(ts|tsx|js|jsx|mjs|cjs)$/;

function collect(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `// expect: a, b` -> ["a@12", "b@12"]. */
export function expectations(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /\/\/\s*expect:\s*([a-z0-9,\s-]+?)\s*$/.exec(line);
    if (!m) return;
    for (const id of m[1]!.split(/[\s,]+/).filter(Boolean)) out.push(`${id}@${i + 1}`);
  });
  return [...new Set(out)].sort();
}

describe('examples', () => {
  const extractor = new ModelExtractor({ rootDir: root });
  for (const file of collect(examplesDir)) {
    it(relative(root, file), () => {
      const text = readFileSync(file, 'utf8');
      const findings = lintFile(extractor.extractFile(file), text);
      const actual = [...new Set(findings.map((f) => `${f.ruleId}@${f.range.start.line + 1}`))].sort();
      assert.deepEqual(actual, expectations(text));
    });
  }
});
