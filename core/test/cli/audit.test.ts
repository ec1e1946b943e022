import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { auditCommand, auditStaticBounds, parseAuditArgs } from '../../src/cli/audit';
import { EMBEDDED_REPORT_ID } from '../../src/protocol/webview';
import { writeCheckpoint } from '../bounds/checkpoint-fixture';
import { parseReport } from '../../src/report/schema';
import { loadWebviewBundle } from '../../src/report/webview-bundle';

const fixtures = resolve(__dirname, '../probes/fixtures');
const models = join(fixtures, 'models.ts');

describe('lipschitz-lens audit', () => {
  it("the report's static bounds read the model's @checkpoint, inside the workspace folder only", async () => {
    const root = mkdtempSync(join(tmpdir(), 'll-audit-ckpt-'));
    try {
      const ws = join(root, 'ws');
      // diag(2, 1, 0.5) padded to 3 x 4: sigma_max 2.
      const kernel = [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5, 0];
      writeCheckpoint(join(ws, 'ckpt'), [{ name: 'dense_Dense1/kernel', shape: [3, 4], values: kernel }]);
      writeCheckpoint(join(root, 'outside'), [
        { name: 'dense_Dense1/kernel', shape: [3, 4], values: kernel },
      ]);
      writeFileSync(join(ws, 'package.json'), '{}');
      const model = (checkpoint: string): string => `import * as tf from '@tensorflow/tfjs';
/** @checkpoint ${checkpoint} */
export const critic = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] })] });
`;
      writeFileSync(join(ws, 'inside.ts'), model('./ckpt/model.json'));
      writeFileSync(join(ws, 'outside.ts'), model('../outside/model.json'));
      const inside = await auditStaticBounds(parseAuditArgs([join(ws, 'inside.ts')], ws));
      // A certified bound of sigma_max = 2: above it by rounding only.
      const forward = inside?.[0]?.forward;
      assert.ok(typeof forward === 'number' && forward >= 2 && forward < 2 + 1e-9, String(forward));
      const outside = await auditStaticBounds(parseAuditArgs([join(ws, 'outside.ts')], ws));
      assert.equal(outside?.[0]?.forward, 'unknown');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('parses its options into a worker request', async () => {
    const parsed = parseAuditArgs(
      [
        models,
        '--export',
        'additiveModel',
        '--args',
        '[6]',
        '--budget',
        '30',
        '--probes',
        'attack,logdet',
        '--option',
        'attackSteps=7',
        '--input-shape',
        '4',
      ],
      '/tmp',
    );
    const { request, outDir } = parsed;
    const staticBounds = await auditStaticBounds(parsed);
    assert.deepEqual(request.model, {
      source: 'module',
      file: models,
      exportName: 'additiveModel',
      args: [6],
    });
    // The nearest package.json above the file: core/'s.
    assert.equal(request.cwd, resolve(__dirname, '../..'));
    assert.equal(request.budgetSeconds, 30);
    assert.deepEqual(request.probes, ['attack', 'logdet']);
    assert.deepEqual(request.options, { attackSteps: 7 });
    assert.deepEqual(request.inputShape, [4]);
    const exportLine = readFileSync(models, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith('export function additiveModel'));
    assert.equal(request.range?.start.line, exportLine);
    // The three blocks of the flow, in order, so findings can name the line that built each.
    assert.deepEqual(
      request.blockRangesInOrder?.map((r) => r.start.line),
      [exportLine + 2, exportLine + 3, exportLine + 4],
    );
    assert.equal(outDir, '/tmp/lipschitz-lens-audit');
    // The static calculus per block, for the report to show beside the measured constants.
    assert.deepEqual(
      staticBounds?.map((b) => [b.label, b.kind, b.forward, b.inverse]),
      [
        // 1 + Lip(t): t's weights are unconstrained, so only a checkpoint could bound it. Named as the code does.
        ['coupling_a', 'AdditiveCoupling', 'unknown', 'unknown'],
        ['perm', 'Permutation', 1, 1],
        ['coupling_b', 'AdditiveCoupling', 'unknown', 'unknown'],
      ],
    );
    assert.equal(parseAuditArgs(['/x/ckpt/model.json'], '/').request.model.source, 'checkpoint');
    assert.throws(() => parseAuditArgs([models, '--budget', '-1']), /positive number/);
    const hinted = join(mkdtempSync(join(tmpdir(), 'll-hints-')), 'hinted.ts');
    writeFileSync(
      hinted,
      [
        "import { AdditiveCoupling, Flow } from 'lipschitz-lens';",
        '/** @inputShape [4]',
        ' * @auditArgs [16] */',
        'export function make(units: number) {',
        '  return new Flow([new AdditiveCoupling({ hiddenUnits: units })]);',
        '}',
      ].join('\n'),
    );
    const fromJsDoc = parseAuditArgs([hinted, '--export', 'make'], '/tmp').request;
    assert.deepEqual(fromJsDoc.inputShape, [4]);
    assert.deepEqual(fromJsDoc.model, { source: 'module', file: hinted, exportName: 'make', args: [16] });
    const linked = join(dirname(hinted), 'linked.ts');
    writeFileSync(
      linked,
      [
        "import { AdditiveCoupling, Flow } from 'lipschitz-lens';",
        '/** @checkpoint ./ck/model.json */',
        'export const trained = new Flow([new AdditiveCoupling({ hiddenUnits: 8 })]);',
      ].join('\n'),
    );
    // The JSDoc checkpoint is audited, as the editor does, unless --checkpoint says otherwise.
    assert.deepEqual(parseAuditArgs([linked], '/tmp').request.model, {
      source: 'checkpoint',
      path: join(dirname(hinted), 'ck', 'model.json'),
      name: 'trained',
    });
    assert.throws(() => parseAuditArgs([models, '--frobnicate', '1']), /unknown option/);
  });

  it('writes JSON and HTML reports and exits by their findings', async () => {
    const out = mkdtempSync(join(tmpdir(), 'll-cli-'));
    let stdout = '';
    const io = { cwd: fixtures, stdout: (t: string) => (stdout += t), stderr: () => undefined };
    const code = await auditCommand.run(
      [
        models,
        '--export',
        'nanModel',
        '--out',
        out,
        '--budget',
        '30',
        '--probes',
        'forward-lipschitz,reconstruction',
        '--backend',
        'cpu',
        '--points',
        '3',
        '--option',
        'pairSteps=2',
      ],
      io,
    );
    assert.equal(code, 1, stdout);
    const report = parseReport(readFileSync(join(out, 'nanModel.report.json'), 'utf8'));
    assert.ok(report.findings.some((f) => f.code === 'nan-output'));
    // The HTML is the webview's report UI: strict CSP, the bundle inlined under its nonce, the report as data.
    const html = readFileSync(join(out, 'nanModel.report.html'), 'utf8');
    const policy = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(policy, /^default-src &#39;none&#39;; .*script-src &#39;nonce-([\w+/=]+)&#39;$/);
    const nonce = /nonce-([\w+/=]+)/.exec(policy)![1]!;
    const open = `<script nonce="${nonce}">`;
    assert.ok(html.includes(open), 'the bundle runs under the policy nonce');
    const start = html.indexOf(open) + open.length;
    const inlined = html.slice(start, html.indexOf('</script>', start));
    assert.equal(inlined, (await loadWebviewBundle()).replace(/<\/script/gi, '<\\/script'));
    assert.ok(!html.includes('<script src') && !/https?:/.test(policy), 'the page loads nothing');
    const data = new RegExp(`<script type="application/json" id="${EMBEDDED_REPORT_ID}">(.*?)</script>`).exec(
      html,
    );
    assert.deepEqual(parseReport(data![1]!), report);
    assert.match(html, /<title>Lipschitz Lens report: nanModel<\/title>/);
    assert.match(stdout, /report: .*nanModel\.report\.json/);
    rmSync(out, { recursive: true, force: true });
  });

  it('audits a CommonJS module (module.exports = createModel) and says how to give an unknown input shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-cli-cjs-'));
    try {
      const head = "const tf = require('@tensorflow/tfjs');\n";
      writeFileSync(
        join(dir, 'factory.js'),
        `${head}function createModel() {\n  return tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });\n}\nmodule.exports = createModel;\n`,
      );
      // A Flow whose first block does not say its input: nothing gives the shape.
      writeFileSync(
        join(dir, 'flow.js'),
        "const { AdditiveCoupling, Flow } = require('lipschitz-lens');\nconst flow = new Flow([new AdditiveCoupling({ hiddenUnits: 4 })]);\nmodule.exports = { flow };\n",
      );
      const run = async (file: string): Promise<{ code: number; stdout: string }> => {
        let stdout = '';
        const io = { cwd: dir, stdout: (t: string) => (stdout += t), stderr: () => undefined };
        const flags = ['--out', join(dir, 'out'), '--probes', 'forward-lipschitz', '--backend', 'cpu'];
        const code = await auditCommand.run([join(dir, file), ...flags, '--points', '3'], io);
        return { code, stdout };
      };
      const factory = await run('factory.js');
      assert.equal(factory.code, 0, factory.stdout);
      assert.match(factory.stdout, /^createModel: architecture looks stable/);
      const flow = await run('flow.js');
      assert.equal(flow.code, 2, flow.stdout);
      assert.match(flow.stdout, /^flow: needs setup \(input shape needed\)/);
      assert.match(flow.stdout, /Add the tag above flow\.js:2, or pass --input-shape/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
