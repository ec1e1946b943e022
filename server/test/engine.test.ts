import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rule as residualRule } from '../../core/src/rules/residual-coefficient-too-large';
import { defineRule } from '../../core/src/rules/rule';
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { FileIr, SourceRange } from '../../core/src/ir/model-ir';
import { analysisGap } from '../../core/src/ir/analysis-gap';
import { toDiagnostics } from '../src/diagnostics';
import { Engine } from '../src/engine';

const reportsModels = defineRule<'model'>({
  id: 'test-reports-models',
  meta: {
    docs: { description: 'test' },
    messages: { model: 'model {{name}}' },
    defaultSeverity: 'warning',
  },
  check(ctx) {
    for (const m of ctx.fileIr.models) ctx.report({ messageId: 'model', node: m, data: { name: m.name } });
  },
});

const throws = defineRule<'never'>({
  id: 'test-throws',
  meta: {
    docs: { description: 'test' },
    messages: { never: 'x' },
    defaultSeverity: 'error',
  },
  check() {
    throw new Error('rule bug on purpose');
  },
});

const source = `import * as tf from '@tensorflow/tfjs';
export const critic = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
`;

describe('engine robustness', () => {
  it('a throwing rule costs only its own findings, and is logged', () => {
    const logs: string[] = [];
    const engine = new Engine((level, m) => logs.push(`${level}: ${m}`), {
      [reportsModels.id]: reportsModels,
      [throws.id]: throws,
    });
    const a = engine.analyze('/tmp/ll-engine/models.ts', source, 1, { rules: {}, maxBytes: 1e6 });
    assert.deepEqual(
      a.findings.map((f) => f.message),
      ['model critic'],
    );
    assert.ok(
      logs.some((l) => l.startsWith('error: rule test-throws failed')),
      logs.join('\n'),
    );
  });

  it('skips a file over the size cap without parsing it, and survives broken code', () => {
    const engine = new Engine(() => undefined);
    const big = engine.analyze('/tmp/ll-engine/big.ts', 'x'.repeat(2000), 1, { rules: {}, maxBytes: 1000 });
    assert.match(big.skipped ?? '', /over the 0\.000954 MB limit/);
    const broken = engine.analyze('/tmp/ll-engine/broken.ts', 'const m = tf.sequential({ layers: [', 1, {
      rules: {},
      maxBytes: 1e6,
    });
    assert.equal(broken.skipped, undefined);
    assert.ok(Array.isArray(broken.findings));
  });
});

describe('engine: what was not analysed is said', () => {
  it('thousands of nested calls: the model is still linted, and one information diagnostic says where it stopped', () => {
    const engine = new Engine(() => undefined);
    const deep = `import * as tf from '@tensorflow/tfjs';\nexport const m = tf.sequential({ layers: [tf.layers.dense({ units: ${'f('.repeat(5000)}1${')'.repeat(5000)} })] });\n`;
    const a = engine.analyze('/tmp/ll-engine/deep.ts', deep, 1, { rules: {}, maxBytes: 1e6 });
    assert.equal(a.skipped, undefined);
    assert.deepEqual(
      a.fileIr?.models.map((m) => m.name),
      ['m'],
    );
    const diags = toDiagnostics({ generation: 1, findings: a.findings }, a, () => undefined);
    assert.ok(diags.some((d) => d.code === 'missing-lipschitz-constraint'));
    const gaps = diags.filter((d) => d.code === undefined);
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0]!.severity, DiagnosticSeverity.Information);
    assert.match(gaps[0]!.message, /did not analyse all of this file: Nested more than \d+ levels deep/);
    assert.equal(gaps[0]!.range.start.line, 1);
  });

  it('a rule that runs out of stack leaves the others, and one information diagnostic says which was not run', () => {
    const overflows = defineRule<'never'>({
      id: 'test-overflows',
      meta: {
        docs: { description: 'test' },
        messages: { never: 'x' },
        defaultSeverity: 'error',
      },
      check() {
        const down = (n: number): number => down(n + 1) + 1;
        down(0);
      },
    });
    const engine = new Engine(() => undefined, {
      [reportsModels.id]: reportsModels,
      [overflows.id]: overflows,
    });
    const a = engine.analyze('/tmp/ll-engine/overflow.ts', source, 1, { rules: {}, maxBytes: 1e6 });
    const diags = toDiagnostics({ generation: 1, findings: a.findings }, a, () => undefined);
    assert.deepEqual(
      diags.map((d) => [d.severity, d.message]),
      [
        [DiagnosticSeverity.Warning, 'model critic'],
        [
          DiagnosticSeverity.Information,
          'Lipschitz Lens did not analyse all of this file: Nested too deeply to follow: rule test-overflows was not run (line 1).',
        ],
      ],
    );
  });

  it('a file the extractor stopped reading part-way says where', () => {
    const ir: FileIr = {
      file: '/m.ts',
      models: [],
      customLayers: [],
      looseLayers: [],
      notes: [
        { message: 'Loop bound not known statically: its body was read once.', range: R(3) },
        { message: 'The file is too large to read completely; the rest was skipped.', range: R(40) },
      ],
    };
    assert.deepEqual(analysisGap(ir), {
      message:
        'Lipschitz Lens did not analyse all of this file: The file is too large to read completely; the rest was skipped (line 41).',
      at: { line: 40, character: 0 },
    });
    assert.equal(analysisGap({ ...ir, notes: ir.notes.slice(0, 1) }), undefined);
  });
});

const R = (line: number): SourceRange => ({
  file: '/m.ts',
  start: { line, character: 0 },
  end: { line, character: 1 },
});

describe('engine rule options', () => {
  const residual = `import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';
const x = tf.input({ shape: [8] });
const h = tf.layers.dense({ units: 8, kernelConstraint: spectralNorm({ c: 0.97 }) }).apply(x) as tf.SymbolicTensor;
export const iresnet = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });
`;
  const id = residualRule.id;
  const lint = (engine: Engine, rules: Parameters<Engine['analyze']>[3]['rules']): string[] =>
    engine
      .analyze('/tmp/ll-engine/residual.ts', residual, 1, { rules, maxBytes: 1e6 })
      .findings.map((f) => `${f.ruleId} ${f.severity}`);

  it('passes valid options to the rule', () => {
    const engine = new Engine(() => undefined, { [id]: residualRule });
    assert.deepEqual(lint(engine, {}), [`${id} warning`]);
    assert.deepEqual(lint(engine, { [id]: ['warning', { threshold: 0.98 }] }), []);
  });

  it('bad options: the configured level with the default options, and one warning however often it lints', () => {
    const logs: string[] = [];
    const engine = new Engine((level, m) => logs.push(`${level}: ${m}`), { [id]: residualRule });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(lint(engine, { [id]: ['error', { threshold: 'high' }] }), [`${id} error`]);
      assert.deepEqual(lint(engine, { [id]: ['info', { treshold: 0.98 }] }), [`${id} info`]);
    }
    assert.deepEqual(logs, [
      `warn: lipschitzLens.rules: ${id}: option 'threshold' must be a number; using the rule's default options`,
      `warn: lipschitzLens.rules: ${id}: unknown option 'treshold'; using the rule's default options`,
    ]);
  });
});
