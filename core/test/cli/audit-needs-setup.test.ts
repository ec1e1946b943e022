/**
 * `lipschitz-lens audit` on models it cannot audit without a setting (an input shape, an export, a factory's
 * arguments): it says the model needs setup and what to add, never that the audit failed, and exits 2; with the
 * setting given the same model audits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { auditCommand } from '../../src/cli/audit';

const dir = mkdtempSync(join(tmpdir(), 'll-needs-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'package.json'), '{}');
const HEAD = "import { AdditiveCoupling, Flow } from 'lipschitz-lens';\n";
const FLOW = 'new Flow([new AdditiveCoupling({ hiddenUnits: 4 })])';
writeFileSync(join(dir, 'no-shape.ts'), `${HEAD}export const flow = ${FLOW};\n`);
writeFileSync(join(dir, 'placeholder.ts'), `${HEAD}/** @inputShape [n] */\nexport const flow = ${FLOW};\n`);
writeFileSync(
  join(dir, 'factory.ts'),
  `${HEAD}/** @inputShape [4] */\nexport function make(units: number) {\n  if (units === undefined) throw new Error('units is required');\n  return new Flow([new AdditiveCoupling({ hiddenUnits: units })]);\n}\n`,
);
writeFileSync(join(dir, 'two.ts'), `${HEAD}export const a = ${FLOW};\nexport const b = ${FLOW};\n`);

async function audit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await auditCommand.run(
    [
      ...args,
      '--out',
      join(dir, 'out'),
      '--probes',
      'forward-lipschitz',
      '--backend',
      'cpu',
      '--points',
      '3',
    ],
    { cwd: dir, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
  );
  return { code, stdout, stderr };
}

/** The summary's lines before the report paths. */
const summary = (stdout: string): string[] =>
  stdout.split('\n').filter((l) => l !== '' && !/^ {2}(report|html):/.test(l));

describe('lipschitz-lens audit: a model that needs setup', { timeout: 240_000 }, () => {
  it('an unknown input shape: says which tag to add where, or the flag; exit 2; audits once given', async () => {
    const r = await audit('no-shape.ts');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.deepEqual(summary(r.stdout), [
      'flow: needs setup (input shape needed); the model was not audited',
      '  The input shape of flow is unknown: declare it above the model with /** @inputShape [n] */.',
      "  Add the tag above no-shape.ts:2, or pass --input-shape with one input's shape without the batch axis (e.g. --input-shape 28,28,1).",
    ]);
    const given = await audit('no-shape.ts', '--input-shape', '4');
    assert.equal(given.code, 0, given.stdout);
    assert.match(given.stdout, /^flow: architecture /);
  });

  it('an @inputShape placeholder left unfilled: says what to write in it', async () => {
    const r = await audit('placeholder.ts');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.deepEqual(summary(r.stdout).slice(1), [
      "  The input shape of flow is unknown: @inputShape [n] is not a shape: write one point's dimensions, e.g. [8] or [28, 28, 1].",
      "  Fix the tag above placeholder.ts:3, or pass --input-shape with one input's shape without the batch axis (e.g. --input-shape 28,28,1).",
    ]);
  });

  it("a factory's arguments: the @auditArgs tag or --args", async () => {
    const r = await audit('factory.ts');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const lines = summary(r.stdout);
    assert.equal(lines[0], 'make: needs setup (factory arguments needed); the model was not audited');
    assert.match(
      lines[1]!,
      /^ {2}make takes a parameter and failed when called without \(units is required\): .*@auditArgs/,
    );
    assert.equal(
      lines[2],
      "  Add the tag above factory.ts:3, or pass the factory's arguments as a JSON array (e.g. --args '[16]').",
    );
    assert.equal((await audit('factory.ts', '--args', '[4]')).code, 0);
  });

  it('which export: the exports to choose from and --export', async () => {
    const r = await audit('two.ts');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.deepEqual(summary(r.stdout), [
      `${join(dir, 'two.ts')}: needs setup (export needed); the model was not audited`,
      `  ${join(dir, 'two.ts')} exports a, b: choose one with --export`,
    ]);
    assert.doesNotMatch(r.stdout, /failed/);
  });
});
