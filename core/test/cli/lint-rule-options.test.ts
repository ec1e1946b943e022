/** `--rule id=level:{options}`: rule options from the command line, as the docs pages list them. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { parseRuleArg } from '../../src/cli/lint';
import { UsageError } from '../../src/cli/io';

const main = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'll-cli-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// An i-ResNet's residual branch held to c = 0.97: above the default threshold (0.95), below 0.98.
writeFileSync(
  join(dir, 'residual.ts'),
  [
    "import * as tf from '@tensorflow/tfjs';",
    "import { spectralNorm } from 'lipschitz-lens';",
    'const x = tf.input({ shape: [8] });',
    'const h = tf.layers.dense({ units: 8, kernelConstraint: spectralNorm({ c: 0.97 }) }).apply(x) as tf.SymbolicTensor;',
    'export const iresnet = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });',
    '',
  ].join('\n'),
);

const tsx = pathToFileURL(require.resolve('tsx')).href;
const RULE = 'residual-coefficient-too-large';

function lint(...rule: string[]): {
  code: number | null;
  findings: { ruleId: string; severity: string }[];
  stderr: string;
} {
  const r = spawnSync(
    process.execPath,
    ['--import', tsx, main, 'lint', '-f', 'json', ...rule, 'residual.ts'],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  const findings =
    r.status === 2
      ? []
      : (JSON.parse(r.stdout) as { findings: { ruleId: string; severity: string }[] }[])[0]!.findings;
  return { code: r.status, findings: findings.filter((f) => f.ruleId === RULE), stderr: r.stderr };
}

describe('lipschitz-lens lint --rule with options', () => {
  it('parses id=level, id=level:{json} and the old id:level', () => {
    assert.deepEqual(parseRuleArg(`${RULE}=error`), [RULE, 'error']);
    assert.deepEqual(parseRuleArg(`${RULE}:off`), [RULE, 'off']);
    assert.deepEqual(parseRuleArg(`${RULE}=warning:{"threshold":0.9,"tolerance":1e-8}`), [
      RULE,
      ['warning', { threshold: 0.9, tolerance: 1e-8 }],
    ]);
    assert.throws(() => parseRuleArg(`${RULE}=warning:{threshold}`), UsageError);
    assert.throws(() => parseRuleArg(`${RULE}=warning:[0.9]`), /must be a JSON object/);
    assert.throws(() => parseRuleArg(`${RULE}=loud`), UsageError);
  });

  it('a threshold above the coefficient silences the warning; the level still applies', () => {
    const plain = lint();
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(
      plain.findings.map((f) => f.severity),
      ['warning'],
    );
    const raised = lint('--rule', `${RULE}=warning:{"threshold":0.98}`);
    assert.equal(raised.code, 0, raised.stderr);
    assert.deepEqual(raised.findings, []);
    const error = lint('--rule', `${RULE}=error:{"threshold":0.96}`);
    assert.equal(error.code, 1, error.stderr);
    assert.deepEqual(
      error.findings.map((f) => f.severity),
      ['error'],
    );
  });

  it('exit 2 for an unknown option or a wrong option type, naming it', () => {
    const unknown = lint('--rule', `${RULE}=warning:{"treshold":0.9}`);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option 'treshold'/);
    const wrongType = lint('--rule', `${RULE}=warning:{"threshold":"high"}`);
    assert.equal(wrongType.code, 2);
    assert.match(wrongType.stderr, /option 'threshold' must be a number/);
  });
});
