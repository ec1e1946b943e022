/** The CLI's option parsing (node:util parseArgs) and its usage errors, for lint and audit as users type them. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { auditCommand } from '../../src/cli/audit';
import { UsageError } from '../../src/cli/io';
import { parseLintArgs } from '../../src/cli/lint';
import { parseCliArgs } from '../../src/cli/parse-cli-args';

const models = join(resolve(__dirname, '../probes/fixtures'), 'models.ts');
// The audit's working folder: a parse that wrongly succeeded would write its report here, not in the checkout.
const cwd = mkdtempSync(join(tmpdir(), 'll-audit-args-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof UsageError, `a UsageError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('no error');
}

describe('parseCliArgs', () => {
  const options = { name: { type: 'string', short: 'n' }, on: { type: 'boolean' } } as const;
  const parse = (args: string[], valuesMayStartWithDash = false) =>
    parseCliArgs({ args, options, strict: true, allowPositionals: true, valuesMayStartWithDash });

  it('reads long, short, inline and repeated forms', () => {
    assert.deepEqual({ ...parse(['-n', 'a', 'x', '--on']).values }, { name: 'a', on: true });
    assert.deepEqual(parse(['--name=b', '--', '--on']).positionals, ['--on']);
    assert.equal(parse(['-nc']).values.name, 'c');
    assert.equal(parse(['--name', 'a', '--name', 'b']).values.name, 'b');
  });

  it('words each error once, naming the option as typed', () => {
    assert.equal(
      usageError(() => parse(['--nmae', 'a'])),
      "unknown option '--nmae'",
    );
    assert.equal(
      usageError(() => parse(['-x'])),
      "unknown option '-x'",
    );
    assert.equal(
      usageError(() => parse(['--name'])),
      '--name needs a value',
    );
    assert.equal(
      usageError(() => parse(['-n'])),
      '-n needs a value',
    );
    assert.equal(
      usageError(() => parse(['--name', '--on'])),
      '--name needs a value',
    );
    assert.equal(
      usageError(() => parse(['--on=yes'])),
      '--on takes no value',
    );
    assert.equal(
      usageError(() => parseCliArgs({ args: ['x'], options, strict: true, allowPositionals: false })),
      "unexpected argument 'x'",
    );
  });

  it('a dash-led value is a value where the command allows it, and always when inline', () => {
    assert.equal(parse(['--name', '-1'], true).values.name, '-1');
    assert.equal(parse(['--name=-1']).values.name, '-1');
  });
});

describe('lint options', () => {
  it('parses every option', () => {
    assert.deepEqual(
      parseLintArgs([
        'src',
        '-f',
        'sarif',
        '--output-file=out.sarif',
        '--rule',
        'missing-lipschitz-constraint=off',
        '--quiet',
        "'lib/**/*.ts'",
      ]),
      {
        patterns: ['src', "'lib/**/*.ts'"],
        format: 'sarif',
        outputFile: 'out.sarif',
        rules: { 'missing-lipschitz-constraint': 'off' },
        quiet: true,
        help: false,
      },
    );
    assert.equal(parseLintArgs(['-h']).help, true);
  });

  it('usage errors', () => {
    assert.equal(
      usageError(() => parseLintArgs(['src', '--format'])),
      '--format needs a value',
    );
    assert.equal(
      usageError(() => parseLintArgs(['-f', '--quiet', 'src'])),
      '-f needs a value',
    );
    assert.equal(
      usageError(() => parseLintArgs(['--quiet=yes', 'src'])),
      '--quiet takes no value',
    );
    assert.equal(
      usageError(() => parseLintArgs(['--rule'])),
      '--rule needs a value',
    );
    assert.equal(
      usageError(() => parseLintArgs(['-f', 'xml', 'src'])),
      "unknown format 'xml' (use text, json, sarif)",
    );
  });
});

describe('audit options', () => {
  async function audit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await auditCommand.run(args, {
      cwd,
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    });
    return { code, stdout, stderr };
  }

  it('--help and -h print the usage, exit 0', async () => {
    for (const help of ['--help', '-h']) {
      const r = await audit(models, help);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^usage: lipschitz-lens audit <file> \[options\]/);
    }
  });

  for (const [args, message] of [
    [[models, '--frobnicate', '1'], "unknown option '--frobnicate'"],
    [[models, '-x'], "unknown option '-x'"],
    [[models, '--export'], '--export needs a value'],
    [[models, '--budget', '-1'], "--budget expects a positive number, got '-1'"],
    [[models, '--seed', 'abc'], "--seed expects an integer, got 'abc'"],
    [
      [models, '--input-shape', '28,x'],
      "--input-shape expects positive integers separated by commas, got '28,x'",
    ],
    [[models, '--args', '[1,'], '--args is not JSON'],
    [[models, '--option', 'steps'], "--option expects K=V, got 'steps'"],
    [[models, '--backend', 'gpu'], '--backend must be one of'],
    [[], 'missing <file>'],
  ] as const) {
    it(`exit 2 for ${args.slice(1).join(' ') || 'no file'}: ${message}`, async () => {
      const r = await audit(...args);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.startsWith(`lipschitz-lens audit: ${message}`), r.stderr);
      assert.match(r.stderr, /usage: lipschitz-lens audit/);
      assert.equal(r.stdout, '');
    });
  }
});
