/**
 * Findings in the right place, once: a layer written in a helper file and used by a model in another is reported
 * where it is written, fixed and suppressed there; the using file gets one information finding at the call.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelExtractor } from '../../src/extract';
import { lintFile, mergeFindings } from '../../src/rules';
import type { Finding } from '../../src/rules/rule';
import { SourceText } from '../../src/rules/source-text';

const TF = "import * as tf from '@tensorflow/tfjs';";
const RULE = 'missing-lipschitz-constraint';

function project(files: Record<string, string>): { dir: string; lint: (name: string) => Finding[] } {
  const dir = mkdtempSync(join(tmpdir(), 'll-cross-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const extractor = new ModelExtractor({ rootDir: dir });
  return {
    dir,
    lint: (name) => lintFile(extractor.extractFile(join(dir, name)), files[name]!),
  };
}

const blocks = [
  TF,
  'export function branch(units: number) {',
  '  return tf.layers.dense({ units });',
  '}',
].join('\n');

const iresnet = [
  TF,
  "import { branch } from './blocks';",
  'const x = tf.input({ shape: [8] });',
  'const g = branch(8).apply(x) as tf.SymbolicTensor;',
  'export const iresnet = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, g]) as tf.SymbolicTensor });',
].join('\n');

const classifier = [
  TF,
  "import { branch } from './blocks';",
  'export const mlp = tf.sequential({ layers: [branch(4)] });',
].join('\n');

describe('cross-file placement', () => {
  it('reports the layer in the file that holds it, and one information finding at the call', () => {
    const { dir, lint } = project({ 'blocks.ts': blocks, 'iresnet.ts': iresnet });
    const findings = lint('iresnet.ts');
    const there = findings.filter((f) => f.range.file === join(dir, 'blocks.ts'));
    assert.deepEqual(
      there.map((f) => [f.ruleId, f.severity, f.range.start.line]),
      [[RULE, 'error', 2]],
    );
    // The fix edits blocks.ts: computed from its text, not the linted file's.
    const text = new SourceText(blocks);
    const fixed = [...there[0]!.fix!.edits]
      .sort((a, b) => text.offsetAt(b.range.start) - text.offsetAt(a.range.start))
      .reduce(
        (t, e) => t.slice(0, text.offsetAt(e.range.start)) + e.newText + t.slice(text.offsetAt(e.range.end)),
        blocks,
      );
    assert.match(
      fixed,
      /return tf\.layers\.dense\(\{ units, kernelConstraint: spectralNorm\(\{ coeff: 0\.9 \}\) \}\);/,
    );
    assert.match(fixed, /^import \{ spectralNorm \} from 'lipschitz-lens';$/m);
    assert.deepEqual(there[0]!.suggestions.at(-1)!.edits[0]!.range.start, { line: 2, character: 0 });
    const here = findings.filter((f) => f.range.file === join(dir, 'iresnet.ts'));
    assert.deepEqual(
      here.map((f) => [f.ruleId, f.severity, f.range.start.line, f.range.start.character]),
      [[RULE, 'info', 3, 10]],
    );
    assert.equal(
      here[0]!.message,
      'Layers this call builds in blocks.ts have 1 error. They are written there at line 3.',
    );
    assert.deepEqual(
      here[0]!.related.map((r) => r.range.file),
      [join(dir, 'blocks.ts')],
    );
  });

  it('a disable comment where the layer is written silences it, and the call-site note with it', () => {
    const disabled = blocks.replace(
      '  return tf.layers.dense',
      `  // lipschitz-lens-disable-next-line ${RULE}\n  return tf.layers.dense`,
    );
    const { lint } = project({ 'blocks.ts': disabled, 'iresnet.ts': iresnet });
    assert.deepEqual(
      lint('iresnet.ts').filter((f) => f.ruleId === RULE),
      [],
    );
  });

  it('a layer reached by an ordinary and an invertible model keeps the most severe placement', () => {
    const { dir, lint } = project({ 'blocks.ts': blocks, 'iresnet.ts': iresnet, 'mlp.ts': classifier });
    const file = join(dir, 'blocks.ts');
    const merged = mergeFindings(file, [lint('blocks.ts'), lint('mlp.ts'), lint('iresnet.ts')]);
    assert.deepEqual(
      merged.map((f) => [f.ruleId, f.severity, f.range.start.line]),
      [[RULE, 'error', 2]],
    );
    // The ordinary use alone: information.
    assert.deepEqual(
      mergeFindings(file, [lint('mlp.ts')]).map((f) => f.severity),
      ['info'],
    );
  });
});

describe('merging and suppressing across files', () => {
  it('keeps two problems of one layer, and one copy of a layer reached twice', () => {
    const f = (messageId: string, severity: Finding['severity'], line: number): Finding => ({
      ruleId: 'non-invertible-op-in-flow',
      messageId,
      message: messageId,
      severity,
      range: { file: '/a.ts', start: { line, character: 2 }, end: { line, character: 9 } },
      related: [],
      suggestions: [],
    });
    const one = [f('notInjective', 'error', 5), f('dimensionChange', 'error', 5)];
    const other = [f('notInjective', 'info', 5)];
    assert.deepEqual(
      mergeFindings('/a.ts', [other, one, one]).map((x) => x.messageId),
      ['notInjective', 'dimensionChange'],
    );
  });

  it('a disable comment at the call silences the call-site note', () => {
    const model = iresnet.replace(
      'const g = branch(8)',
      `// lipschitz-lens-disable-next-line ${RULE}\nconst g = branch(8)`,
    );
    const { dir, lint } = project({ 'blocks.ts': blocks, 'iresnet.ts': model });
    const findings = lint('iresnet.ts');
    assert.deepEqual(
      findings.filter((x) => x.range.file === join(dir, 'iresnet.ts')).map((x) => x.ruleId),
      [],
    );
    // The layer itself is still reported where it is written.
    assert.equal(findings.filter((x) => x.range.file === join(dir, 'blocks.ts')).length, 1);
  });
});

describe('a coupling class written in another file', () => {
  it('reports its scale where it is written, with a fix for that file, and the use in the flow', () => {
    const couplings = [
      TF,
      'export class Coupling extends tf.layers.Layer {',
      '  s = tf.layers.dense({ units: 2 });',
      '  call(x: tf.Tensor) {',
      '    const [x1, x2] = tf.split(x, 2, -1);',
      '    const scale = tf.exp(this.s.apply(x1) as tf.Tensor);',
      '    return tf.concat([x1, tf.mul(x2, scale)], -1);',
      '  }',
      '  inverse(y: tf.Tensor) { return y; }',
      '}',
    ].join('\n');
    const flow = [
      TF,
      "import { Flow } from 'lipschitz-lens';",
      "import { Coupling } from './couplings';",
      'export const flow = new Flow({ layers: [new Coupling()] });',
    ].join('\n');
    const { dir, lint } = project({ 'couplings.ts': couplings, 'flow.ts': flow });
    const findings = lint('flow.ts').filter((f) => f.ruleId === 'unbounded-coupling-scale');
    const there = findings.filter((f) => f.range.file === join(dir, 'couplings.ts'));
    assert.deepEqual(
      there.map((f) => [f.severity, f.range.start.line]),
      [['warning', 5]],
    );
    const edit = there[0]!.fix!.edits[0]!;
    assert.equal(new SourceText(couplings).slice(edit.range), 'tf.exp(this.s.apply(x1) as tf.Tensor)');
    const here = findings.filter((f) => f.range.file === join(dir, 'flow.ts'));
    assert.deepEqual(
      here.map((f) => [f.severity, f.range.start.line]),
      [['info', 3]],
    );
  });
});
