import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAuditArgs } from '../../core/src/cli/audit';
import type { FileIr, LayerNode, ModelNode, SourceRange } from '../../core/src/ir/model-ir';
import { checkpointOf, progressFraction, toRequest } from '../src/audit';
import { mergeEdits } from '../src/code-actions';
import { auditLenses } from '../src/code-lens';
import { Debouncer, isLintedPath, mayHoldModels } from '../src/documents';
import { nodeAt } from '../src/hover';
import { DEFAULT_SETTINGS, normalizeSettings, SettingsCache } from '../src/settings';

const at = (line: number, character: number): { line: number; character: number } => ({ line, character });
const r = (l0: number, c0: number, l1: number, c1: number): SourceRange => ({
  file: '/w/m.ts',
  start: at(l0, c0),
  end: at(l1, c1),
});

function layer(id: string, range: SourceRange): LayerNode {
  return { kind: 'layer', id, layerType: 'dense', origin: 'tfjs', config: {}, range };
}

const model: ModelNode = {
  kind: 'model',
  id: 'model1',
  name: 'critic',
  api: 'sequential',
  range: r(2, 13, 2, 19),
  body: {
    kind: 'block',
    id: 'b1',
    wiring: 'sequence',
    range: r(2, 22, 8, 2),
    children: [layer('l1', r(4, 4, 4, 40)), layer('l2', r(5, 4, 5, 40))],
  },
  intent: { kind: 'lipschitz', signals: [] },
  exportName: 'critic',
};

describe('settings', () => {
  it('keeps valid fields, drops invalid ones to defaults, clamps numbers', () => {
    const s = normalizeSettings({
      rules: { a: 'off', b: 'loud' },
      maxFileSizeMB: -5,
      backend: 'quantum',
      probes: { points: 8.4, options: { scales: [1, 2], bad: { nested: 1 } } },
      checkpoints: { critic: 'ckpt/model.json', empty: '' },
    });
    assert.deepEqual(s.rules, { a: 'off' });
    assert.equal(s.maxFileSizeMB, 0.01);
    assert.equal(s.backend, 'auto');
    assert.equal(s.probes.points, 8);
    assert.deepEqual(s.probes.options, { scales: [1, 2] });
    assert.deepEqual(s.checkpoints, { critic: 'ckpt/model.json' });
    assert.deepEqual(normalizeSettings('garbage'), DEFAULT_SETTINGS);
  });

  it('pulls once per URI until cleared, and falls back to defaults when the pull fails', async () => {
    let pulls = 0;
    const cache = new SettingsCache(async (uri) => {
      pulls++;
      if (uri.endsWith('bad')) throw new Error('no');
      return { lintDelayMs: 5 };
    });
    assert.equal((await cache.get('file:///a')).lintDelayMs, 5);
    await cache.get('file:///a');
    assert.equal(pulls, 1);
    cache.clear();
    await cache.get('file:///a');
    assert.equal(pulls, 2);
    assert.deepEqual(await cache.get('file:///bad'), DEFAULT_SETTINGS);
  });
});

describe('code action edits', () => {
  const imp = { range: { start: at(0, 0), end: at(0, 0) }, newText: 'import x;\n' };
  it('dedupes a shared import and keeps fixes whole', () => {
    const a = { title: 'a', edits: [imp, { range: { start: at(4, 10), end: at(4, 10) }, newText: ', k' }] };
    const b = { title: 'b', edits: [imp, { range: { start: at(5, 10), end: at(5, 10) }, newText: ', k' }] };
    const clash = { title: 'c', edits: [imp, { range: { start: at(4, 8), end: at(4, 12) }, newText: 'zz' }] };
    const merged = mergeEdits([a, b, clash]);
    assert.equal(merged.length, 3);
    assert.deepEqual(
      merged.map((e) => e.range.start.line),
      [0, 4, 5],
    );
  });
});

describe('hover target and audit request', () => {
  const ir: FileIr = { file: '/w/m.ts', models: [model], customLayers: [], looseLayers: [], notes: [] };
  it('picks the innermost node at a position', () => {
    assert.equal(nodeAt(ir, at(4, 10))?.node.id, 'l1');
    assert.equal(nodeAt(ir, at(2, 15))?.node.kind, 'model');
    assert.equal(nodeAt(ir, at(3, 0))?.node.id, 'b1');
    assert.equal(nodeAt(ir, at(20, 0)), undefined);
  });

  it('builds a module request for an exported model, a checkpoint request from settings, or says why not', () => {
    const settings = normalizeSettings({ checkpoints: { critic: 'ck/model.json' } });
    const base = { path: '/w/m.ts', folder: '/w', bounds: new Map() };
    const viaSettings = toRequest({ ...base, model, settings });
    assert.deepEqual(viaSettings.request?.model, {
      source: 'checkpoint',
      path: '/w/ck/model.json',
      name: 'critic',
    });
    const viaModule = toRequest({ ...base, model, settings: DEFAULT_SETTINGS });
    assert.equal(viaModule.request?.model.source, 'module');
    assert.equal(viaModule.request?.inputShape, undefined);
    // JSDoc @inputShape and @auditArgs reach the worker, as they do from the CLI.
    const hinted = toRequest({
      ...base,
      model: { ...model, inputShape: [8, 8, 2], auditArgs: [4, 64] },
      settings: DEFAULT_SETTINGS,
    }).request;
    assert.deepEqual(hinted?.inputShape, [8, 8, 2]);
    assert.deepEqual(hinted?.model.source === 'module' ? hinted.model.args : undefined, [4, 64]);
    const hidden = toRequest({
      ...base,
      model: { ...model, exportName: undefined },
      settings: DEFAULT_SETTINGS,
    });
    assert.match(
      hidden.reason ?? '',
      /is not exported, so the audit cannot load it: .*module.exports = \{ \.\.\. \}.*@checkpoint/,
    );
    assert.equal(
      checkpointOf({ ...base, model: { ...model, checkpoint: '/abs/m.json' }, settings }),
      '/abs/m.json',
    );
    assert.equal(progressFraction({ probe: 'x', index: 1, count: 4, fraction: 0.5 }), 0.375);
  });

  it('audits in the folder the CLI audits in: a package nested in the workspace resolves its own tfjs', () => {
    const root = mkdtempSync(join(tmpdir(), 'lens-folder-'));
    try {
      const pkg = join(root, 'packages', 'flows');
      mkdirSync(join(pkg, 'src'), { recursive: true });
      writeFileSync(join(root, 'package.json'), '{}');
      writeFileSync(join(pkg, 'package.json'), '{}');
      const file = join(pkg, 'src', 'm.ts');
      writeFileSync(file, 'export const m = 1;\n');
      const editor = toRequest({
        path: file,
        folder: root,
        bounds: new Map(),
        model,
        settings: DEFAULT_SETTINGS,
      });
      const cli = parseAuditArgs([file, '--export', 'm'], root).request;
      assert.equal(editor.request?.cwd, pkg);
      assert.equal(cli.cwd, pkg);
      assert.equal(editor.request?.backend, cli.backend);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('documents', () => {
  it('filters paths and texts cheaply', () => {
    assert.equal(isLintedPath('/a/b.ts'), true);
    assert.equal(isLintedPath('/a/b.d.ts'), false);
    assert.equal(isLintedPath('/a/b.py'), false);
    assert.equal(mayHoldModels("import * as tf from '@tensorflow/tfjs'"), true);
    assert.equal(mayHoldModels('export const x = 1;'), false);
  });

  it('debounces per key: only the last scheduled run happens', async () => {
    const d = new Debouncer();
    const runs: number[] = [];
    await new Promise<void>((resolve) => {
      d.schedule('k', 5, () => runs.push(1));
      d.schedule('k', 5, () => {
        runs.push(2);
        resolve();
      });
    });
    assert.deepEqual(runs, [2]);
    d.dispose();
  });
});

describe('audit code lens', () => {
  it('sits at the start of each model and runs the audit command with (uri, model id)', () => {
    const [lens, ...rest] = auditLenses('file:///w/m.ts', [model], true);
    assert.equal(rest.length, 0);
    assert.deepEqual(lens!.range, { start: model.range.start, end: model.range.start });
    assert.deepEqual(lens!.command, {
      title: 'Audit stability',
      command: 'lipschitzLens.auditModel',
      arguments: ['file:///w/m.ts', 'model1'],
    });
  });

  it('stays when untrusted, with the same command, and says that trust is required', () => {
    const [lens] = auditLenses('file:///w/m.ts', [model], false);
    assert.equal(lens!.command?.title, 'Audit stability (trust required)');
    assert.equal(lens!.command?.command, 'lipschitzLens.auditModel');
  });
});
