/**
 * The findings an example file promises: a trailing `// expect: <rule-id>[, <rule-id>]` comment on each line
 * where the linter should report. The tests compare what the editor shows with these, so adding an example
 * (or a rule) needs no change here.
 */
import { readFileSync } from 'node:fs';

export interface Expected {
  /** 1-based, as editors show it. */
  line: number;
  ruleId: string;
}

const EXPECT = /\/\/\s*expect:\s*([\w-]+(?:\s*,\s*[\w-]+)*)\s*$/;

export function expectedFindings(file: string): Expected[] {
  const out: Expected[] = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((text, i) => {
      const m = EXPECT.exec(text);
      if (!m) return;
      for (const ruleId of m[1]!.split(',')) out.push({ line: i + 1, ruleId: ruleId.trim() });
    });
  return out;
}

/** `line:rule` keys, sorted, so two lists compare with one deepStrictEqual and print readably on failure. */
export function keys(findings: readonly Expected[]): string[] {
  return [...new Set(findings.map((f) => `${f.line}:${f.ruleId}`))].sort();
}

/** The 0-based column of the first match of `needle` on a 1-based line (for hovers and cursors). */
export function columnOf(file: string, line: number, needle: string): number {
  const text = readFileSync(file, 'utf8').split(/\r?\n/)[line - 1] ?? '';
  const col = text.indexOf(needle);
  if (col < 0) throw new Error(`"${needle}" not on line ${line} of ${file}`);
  return col;
}
