import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findAuditTarget } from '../../src/extract/audit-target';
import { ModelExtractor } from '../../src/extract';
import { loadModel } from '../../src/probes/load-model';
import { runAudit } from '../../src/probes/run-audit';
import type { AuditRequest } from '../../src/protocol/worker-messages';

const head = "const tf = require('@tensorflow/tfjs');\n";
// Dense 4 -> 3: 4 * 3 weights + 3 biases.
const PARAMS = 15;
const build = 'tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] })';

/** The CommonJS ways a model's factory (or the model) is exported, as user code writes them. */
const FORMS: Record<string, string> = {
  'module.exports = { createModel }': `function createModel() { return ${build}; }\nmodule.exports = { createModel };\n`,
  'module.exports.createModel = ...': `module.exports.createModel = function () { return ${build}; };\n`,
  'exports.createModel = ...': `exports.createModel = () => ${build};\n`,
  'module.exports = createModel': `function createModel() { return ${build}; }\nmodule.exports = createModel;\n`,
  'module.exports = model': `module.exports = ${build};\n`,
};

function request(file: string, dir: string, exportName?: string): AuditRequest {
  return {
    model: { source: 'module', file, ...(exportName !== undefined ? { exportName } : {}) },
    cwd: dir,
    backend: 'cpu',
    budgetSeconds: 30,
    points: 4,
    seed: 1,
  };
}

describe('CommonJS model modules', () => {
  let dir = '';
  before(() => {
    // Outside the repo: the worker's own tfjs, as for a user folder without one.
    dir = mkdtempSync(join(tmpdir(), 'll-cjs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [form, body] of Object.entries(FORMS)) {
    it(`finds and loads the export of ${form}, as the editor and the CLI ask for it`, async () => {
      const file = join(dir, `${form.replace(/\W+/g, '_')}.js`);
      writeFileSync(file, head + body);
      const target = findAuditTarget(new ModelExtractor({ rootDir: dir }).extractFile(file));
      assert.ok(target?.model.exportName, `no exported model found for ${form}`);
      // The editor sends the extractor's export name; the CLI without --export sends none.
      for (const exportName of [target.model.exportName, undefined]) {
        const loaded = await loadModel(request(file, dir, exportName));
        assert.equal(loaded.identity.exportName, target.model.exportName);
        assert.equal(loaded.identity.parameters, PARAMS);
      }
    });
  }

  it('reports an unknown input shape as a configuration problem, not a failure to load', async () => {
    const file = join(dir, 'flow.js');
    // A lipschitz-lens Flow whose first block does not say its input: nothing gives the shape.
    writeFileSync(
      file,
      "const { AdditiveCoupling, Flow } = require('lipschitz-lens');\n" +
        'module.exports = { flow: new Flow([new AdditiveCoupling({ hiddenUnits: 4 })]) };\n',
    );
    const failed = await runAudit({ ...request(file, dir, 'flow'), probes: ['forward-lipschitz'] });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.phase, 'load');
    assert.equal(failed.error?.configuration, 'input-shape');
    assert.match(failed.error.message, /The input shape of flow is unknown: .*@inputShape/);
    // What the JSDoc tag supplies makes the same module audit.
    const ok = await runAudit({
      ...request(file, dir, 'flow'),
      probes: ['forward-lipschitz'],
      inputShape: [4],
    });
    assert.notEqual(ok.status, 'failed', ok.error?.message);
    assert.equal(ok.error?.configuration, undefined);
  });

  it('reports a missing export as a configuration problem', async () => {
    const file = join(dir, 'two.js');
    writeFileSync(file, `${head}module.exports = { a: () => ${build}, b: () => ${build} };\n`);
    const failed = await runAudit({ ...request(file, dir, 'c'), probes: ['forward-lipschitz'] });
    assert.equal(failed.error?.configuration, 'export');
    assert.match(failed.error.message, /has no export 'c' \(exports: a, b\)/);
  });

  it("reports a factory that needs its arguments (tfjs-examples' abalone model) as a configuration problem", async () => {
    const file = join(dir, 'abalone.js');
    writeFileSync(
      file,
      `${head}function createModel(inputShape) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape, units: 3 }));
  return model;
}
module.exports = createModel;
`,
    );
    // Named as the editor and the CLI name it (the extractor's model name).
    const failed = await runAudit({
      ...request(file, dir),
      model: { source: 'module', file, name: 'createModel' },
      probes: ['forward-lipschitz'],
    });
    assert.equal(failed.error?.configuration, 'factory-args');
    assert.match(
      failed.error.message,
      /^createModel takes a parameter and failed when called without \(The first layer in a Sequential model must get an `inputShape`.*\): declare its arguments above it with \/\*\* @auditArgs \[\.\.\.\] \*\/\.$/,
    );
    const withArgs = await runAudit({
      ...request(file, dir),
      model: { source: 'module', file, args: [[4]] },
      probes: ['forward-lipschitz'],
    });
    assert.notEqual(withArgs.status, 'failed', withArgs.error?.message);
    // A factory without parameters that throws is the model's own failure.
    const broken = join(dir, 'broken.js');
    writeFileSync(broken, "module.exports = function createModel() { throw new Error('boom'); };\n");
    const own = await runAudit({ ...request(broken, dir), probes: ['forward-lipschitz'] });
    assert.equal(own.error?.configuration, undefined);
    assert.match(own.error?.message ?? '', /Could not load the model: boom/);
  });
});
