/**
 * typescript-eslint's RuleTester, reduced: each case is a snippet run through the real extractor and lintFile
 * with only the rule under test; invalid cases list message id, line and column (1-based) of every finding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import {
  type Finding,
  lintFile,
  type RuleModule,
  type RuleSetting,
  type Severity,
  type TextEdit,
} from '../../src/rules';
import { SourceText } from '../../src/rules/source-text';

export interface ValidCase {
  name?: string;
  code: string;
  setting?: RuleSetting;
}

export interface ExpectedFinding {
  messageId: string;
  line: number;
  column: number;
  severity?: Severity;
}

export interface InvalidCase extends ValidCase {
  errors: ExpectedFinding[];
  /** The code after applying the first finding's `fix`; `null` asserts there is no fix. */
  output?: string | null;
}

export const FILE = '/virtual/model.ts';

export function lint(rule: RuleModule, code: string, setting?: RuleSetting): Finding[] {
  const fileIr = extractSource(code, FILE);
  return lintFile(fileIr, code, {
    ruleSet: { [rule.id]: rule },
    ...(setting ? { rules: { [rule.id]: setting } } : {}),
  });
}

/** Applies edits back to front so earlier offsets stay valid. */
export function applyEdits(code: string, edits: readonly TextEdit[]): string {
  const source = new SourceText(code);
  const sorted = [...edits].sort((a, b) => source.offsetAt(b.range.start) - source.offsetAt(a.range.start));
  let out = code;
  for (const e of sorted) {
    out = out.slice(0, source.offsetAt(e.range.start)) + e.newText + out.slice(source.offsetAt(e.range.end));
  }
  return out;
}

function title(c: ValidCase, i: number): string {
  return c.name ?? `#${i}: ${c.code.trim().split('\n').slice(-2).join(' ').slice(0, 70)}`;
}

export function ruleTester(rule: RuleModule, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(rule.id, () => {
    describe('valid', () => {
      cases.valid.forEach((c, i) => {
        it(title(c, i), () => {
          const findings = lint(rule, c.code, c.setting);
          assert.deepEqual(
            findings.map((f) => `${f.messageId}@${f.range.start.line + 1}:${f.range.start.character + 1}`),
            [],
          );
        });
      });
    });
    describe('invalid', () => {
      cases.invalid.forEach((c, i) => {
        it(title(c, i), () => {
          const findings = lint(rule, c.code, c.setting);
          const actual = findings.map((f) => ({
            messageId: f.messageId,
            line: f.range.start.line + 1,
            column: f.range.start.character + 1,
            ...(c.errors.some((e) => e.severity !== undefined) ? { severity: f.severity } : {}),
          }));
          const expected = c.errors.map((e) => ({ ...e }));
          assert.deepEqual(actual, expected);
          for (const f of findings) {
            assert.equal(f.ruleId, rule.id);
            assert.ok(!/\{\{/.test(f.message), `unrendered placeholder in: ${f.message}`);
            assert.ok(f.suggestions.some((s) => s.title.startsWith('Disable')));
          }
          if (c.output !== undefined) {
            const fix = findings[0]?.fix;
            if (c.output === null) assert.equal(fix, undefined);
            else {
              assert.ok(fix, 'expected a fix');
              assert.equal(applyEdits(c.code, fix.edits), c.output);
            }
          }
        });
      });
    });
  });
}
