/**
 * Issue 12, item 3: the model's lint findings are part of its audit report, per block, beside the measured
 * values; when the measurements find no error but the linter does, the report says how the two relate.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditCommand, auditLint, parseAuditArgs } from '../../src/cli/audit';
import { RuleConfigError } from '../../src/rules';
import { buildReport } from '../../src/report/build';
import { reportVerdict } from '../../src/protocol/webview';
import { parseReport, type ReportLintFinding } from '../../src/report/schema';
import { testAudit } from '../report/audit-context';

const fixtures = join(__dirname, 'fixtures');

describe('lint findings in the audit report', () => {
  it("an invertible model's lint errors are in its report at their blocks, beside the measured findings", async () => {
    const out = mkdtempSync(join(tmpdir(), 'll-audit-lint-'));
    let stdout = '';
    const io = { cwd: fixtures, stdout: (t: string) => (stdout += t), stderr: () => undefined };
    try {
      await auditCommand.run(
        [
          join(fixtures, 'unconstrained-invertible.ts'),
          '--out',
          out,
          '--backend',
          'cpu',
          '--points',
          '3',
          '--budget',
          '60',
          '--probes',
          'forward-lipschitz,reconstruction',
          '--option',
          'pairSteps=2',
        ],
        io,
      );
      const report = parseReport(readFileSync(join(out, 'unconstrained.report.json'), 'utf8'));
      assert.equal(report.status, 'complete', JSON.stringify(report.error));
      assert.deepEqual(
        report.lint?.findings.map((f) => [f.ruleId, f.severity, f.block, f.range.start.line + 1]),
        [
          ['missing-lipschitz-constraint', 'error', 'first', 8],
          ['missing-lipschitz-constraint', 'error', 'second', 9],
        ],
        stdout,
      );
      // The measurements found an error too (no inverse()): the two agree, so no reconciling line.
      assert.deepEqual(
        report.findings.map((f) => f.code),
        ['missing-inverse'],
      );
      assert.equal(report.lint?.relation, undefined);
      assert.match(
        stdout,
        /lint error: .*\[missing-lipschitz-constraint\] \(.*unconstrained-invertible\.ts:8, block first\)/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('blocks the code names are named so in the report, in its blocks and in the findings about them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'll-audit-names-'));
    const io = { cwd: fixtures, stdout: () => undefined, stderr: () => undefined };
    try {
      await auditCommand.run(
        [
          join(fixtures, 'named-iresnet.ts'),
          ...['--out', out, '--backend', 'cpu', '--points', '3', '--budget', '60'],
          ...['--probes', 'forward-lipschitz', '--option', 'pairSteps=2'],
        ],
        io,
      );
      const report = parseReport(readFileSync(join(out, 'namedIResNet.report.json'), 'utf8'));
      assert.equal(report.status, 'complete', JSON.stringify(report.error));
      assert.deepEqual(
        report.staticBounds?.blocks.map((b) => [b.label, b.kind]),
        [
          ['block0_in', 'residual'],
          ['block1_out', 'residual'],
        ],
      );
      // No run-time block list: a finding is named by the static row it sits in, as the blocks table shows it.
      assert.equal(report.model.blocks, undefined);
      assert.deepEqual(
        report.lint?.findings.map((f) => [f.ruleId, f.block, f.range.start.line + 1]),
        [
          ['missing-lipschitz-constraint', 'block0_in', 7],
          ['missing-lipschitz-constraint', 'block1_out', 9],
        ],
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a stable measurement beside lint errors says how the two relate', () => {
    const lint: ReportLintFinding = {
      ruleId: 'missing-lipschitz-constraint',
      severity: 'error',
      message: 'no constraint',
      block: 'first',
      range: { file: '/w/m.ts', start: { line: 7, character: 4 }, end: { line: 7, character: 9 } },
    };
    const build = (findings: ReportLintFinding[]) =>
      buildReport({
        ...testAudit('invertible'),
        lint: findings,
        model: { name: 'm', source: 'module' },
        settings: { probes: [], seed: 0, points: 4, budgetSeconds: 1, data: '', options: {} },
        probes: [],
        startedAt: Date.now(),
      });
    const stable = build([lint]);
    assert.equal(reportVerdict(stable), 'stable');
    assert.match(
      stable.lint!.relation!,
      /^The measurements found no error, but the linter reports 1 error-level finding \(missing-lipschitz-constraint\)\. The audit observes the model at this fresh initialisation and 4 probe points/,
    );
    assert.equal(build([{ ...lint, severity: 'warning' }]).lint!.relation, undefined);
    assert.deepEqual(parseReport(JSON.stringify(stable)), stable);
  });

  it("`audit --rule` sets the rules of the report's lint findings as `lint --rule` does", () => {
    const file = join(fixtures, 'unconstrained-invertible.ts');
    const lintWith = (...rule: string[]) =>
      auditLint(parseAuditArgs([file, ...rule.flatMap((r) => ['--rule', r])], fixtures))?.map((f) => [
        f.ruleId,
        f.severity,
      ]);
    assert.deepEqual(lintWith(), [
      ['missing-lipschitz-constraint', 'error'],
      ['missing-lipschitz-constraint', 'error'],
    ]);
    assert.deepEqual(lintWith('missing-lipschitz-constraint=warning'), [
      ['missing-lipschitz-constraint', 'warning'],
      ['missing-lipschitz-constraint', 'warning'],
    ]);
    assert.deepEqual(lintWith('missing-lipschitz-constraint=off'), []);
    assert.throws(() => parseAuditArgs([file, '--rule', 'no-such-rule=error'], fixtures), /unknown rule/);
    assert.throws(() => lintWith('residual-coefficient-too-large=warning:{"nonsense":1}'), RuleConfigError);
  });
});
