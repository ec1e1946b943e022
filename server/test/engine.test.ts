import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineRule } from '../../core/src/rules/rule';
import { Engine } from '../src/engine';

const reportsModels = defineRule<'model'>({
  id: 'test-reports-models',
  meta: {
    docs: { description: 'test', url: 'https://example.invalid/r' },
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
    docs: { description: 'test', url: 'https://example.invalid/t' },
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
    assert.equal(engine.docsUrl('test-throws'), 'https://example.invalid/t');
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
