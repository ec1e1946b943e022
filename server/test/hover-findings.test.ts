/**
 * The hover on flagged code names what is wrong and the fix (the diagnostic beside it says why); bounds read "unknown" where a number is not
 * known and "unbounded" only where no finite bound exists; products are written with ×.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBounds } from '../../core/src/bounds';
import { extractSource } from '../../core/src/extract';
import { lintFile } from '../../core/src/rules';
import { findingsOn, formatFigure, hoverMarkdown, nodeAt } from '../src/hover';

const ILLEGAL = `import * as tf from '@tensorflow/tfjs';
/** @invertible */
export function buildIResNet(): tf.LayersModel {
  const x = tf.input({ shape: [8] });
  const h1 = tf.layers.dense({ units: 8, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
  const h2 = tf.layers.batchNormalization().apply(h1) as tf.SymbolicTensor;
  const out = tf.layers.add().apply([x, h2]) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out });
}
`;

function hoverAt(line: number, character: number): { md: string; ruleIds: string[] } {
  const ir = extractSource(ILLEGAL, '/w/iresnet.ts');
  const findings = lintFile(ir, ILLEGAL);
  const hit = nodeAt(ir, { line, character })!;
  const on = findingsOn(ir, hit.node, findings);
  return {
    md: hoverMarkdown(hit.node, computeBounds(ir), undefined, hit.model, on).value,
    ruleIds: on.map((f) => f.ruleId),
  };
}

describe('hover on a flagged layer', () => {
  it('leads with what is wrong and the fix title, not the explanation the diagnostic already shows', () => {
    // On `dense` in line 5: unconstrained in an i-ResNet's residual branch.
    const { md, ruleIds } = hoverAt(4, 24);
    assert.deepEqual(ruleIds, ['missing-lipschitz-constraint']);
    assert.match(
      md,
      /\*\*error\*\* `missing-lipschitz-constraint`: tf\.layers\.dense has no Lipschitz constraint in a residual branch\.\n\n\*\*Fix:\*\* add kernelConstraint: spectralNorm\(\{ coeff: 0\.9 \}\)\n/,
    );
    assert.doesNotMatch(md, /is invertible, with inverse bound 1\/\(1 - Lip\(g\)\)/);
    // The finding comes before the bounds table.
    assert.ok(md.indexOf('**Fix:**') < md.indexOf('| forward |'));
  });

  it('shows a finding on the node it flags only', () => {
    // The model's name: its hover lists its layers, not their findings.
    const { md, ruleIds } = hoverAt(2, 20);
    assert.deepEqual(ruleIds, []);
    assert.doesNotMatch(md, /\*\*Fix:\*\*/);
  });

  it('names the preferred fix, never the disable comment every finding suggests', () => {
    const { md, ruleIds } = hoverAt(5, 24);
    assert.deepEqual(ruleIds, ['batchnorm-in-invertible']);
    assert.match(md, /\n\*\*Fix:\*\* replace with new ActNorm\(\{ scaleBound: 10 \}\)\n/);
    assert.doesNotMatch(md, /Disable/);
  });
});

describe('hover wording of bounds', () => {
  it('a figure not read is unknown; a non-finite one is written as the report writes it', () => {
    assert.equal(formatFigure({ id: 'a', label: 'a', value: null }), 'unknown');
    assert.equal(formatFigure({ id: 'a', label: 'a', value: null, nonFinite: 'inf' }), '∞');
    assert.equal(formatFigure({ id: 'a', label: 'a', value: null, nonFinite: 'nan' }), 'NaN');
  });

  it('a batch norm inverse is unknown (finite for given weights), a tanh inverse unbounded (slope -> 0)', () => {
    const bn = hoverAt(5, 24).md;
    assert.match(bn, /\| upper bound \| unknown \| unknown \| batch norm:/);
    const tanh = hoverAt(4, 24).md;
    // Unconstrained kernel (unknown) times tanh: an unknown forward; the inverse of tanh has no finite bound.
    assert.match(tanh, /\| upper bound \| unknown \| unbounded \|/);
  });

  it('a residual block whose branch bound is not below 1 has an unknown inverse, and products use ×', () => {
    const ir = extractSource(
      `import * as tf from '@tensorflow/tfjs';
import { spectralNorm } from 'lipschitz-lens';
/** @invertible */
export function buildIResNet(): tf.LayersModel {
  const x = tf.input({ shape: [8] });
  const h1 = tf.layers.dense({ units: 8, activation: 'gelu', kernelConstraint: spectralNorm({ coeff: 0.97 }) }).apply(x) as tf.SymbolicTensor;
  const h2 = tf.layers.dense({ units: 8, kernelConstraint: spectralNorm({ coeff: 0.97 }) }).apply(h1) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h2]) as tf.SymbolicTensor });
}
`,
      '/w/gelu.ts',
    );
    const model = ir.models[0]!;
    const bounds = computeBounds(ir);
    const md = hoverMarkdown(model, bounds, undefined, model).value;
    // 0.97 · 1.129 · 0.97 = 1.062 >= 1: the inverse is not bounded by 1/(1 - L), nor proven to have no bound.
    assert.match(md, /\| \*\*whole model\*\* \| 2\.062 \| unknown \|/);
    assert.doesNotMatch(md, /unbounded/);
    // The first layer: its kernel's bound times gelu's constant; gelu is not injective, so no inverse bound exists.
    const gelu = nodeAt(ir, { line: 5, character: 30 })!.node;
    const layerMd = hoverMarkdown(gelu, bounds, undefined, model).value;
    assert.match(layerMd, /\| upper bound \| 1\.095 \| unbounded \| .*\) × gelu: max slope/);
    assert.doesNotMatch(layerMd, /\) x gelu/);
  });
});
