/**
 * Which lint findings belong in a model's audit report: those in its body and on its name, and those inside the
 * declaration of a custom layer class it uses (issue 12, item 3), each with the block that holds or uses it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractSource } from '../../src/extract';
import { computeBounds } from '../../src/bounds';
import { modelLint } from '../../src/report/model-lint';
import { lintFile } from '../../src/rules/run-rules';

const SOURCE = [
  "import * as tf from '@tensorflow/tfjs';", // 1
  "import { Flow, Permutation } from 'lipschitz-lens';", // 2
  '', // 3
  '/** A RealNVP coupling written by hand: an exp scale and no inverse(). */', // 4
  'class ExpCoupling extends tf.layers.Layer {', // 5
  '  private net = tf.layers.dense({ units: 4 });', // 6
  '  call(x: tf.Tensor): tf.Tensor {', // 7
  '    const [x1, x2] = tf.split(x, 2, -1);', // 8
  '    const [h, t] = tf.split(this.net.apply(x1) as tf.Tensor, 2, -1);', // 9
  '    return tf.concat([x1, tf.add(tf.mul(x2, tf.exp(h)), t)], -1);', // 10
  '  }', // 11
  '}', // 12
  '', // 13
  '/** Not used by the model: its findings stay out of the report. */', // 14
  'class Unused extends tf.layers.Layer {', // 15
  '  call(x: tf.Tensor): tf.Tensor {', // 16
  '    return tf.mul(x, tf.exp(x));', // 17
  '  }', // 18
  '}', // 19
  '', // 20
  'export const flow = new Flow({ layers: [new Permutation({ seed: 1 }), new ExpCoupling()] });', // 21
  'export const other = tf.sequential({ layers: [new Unused()] });', // 22
].join('\n');

describe('modelLint', () => {
  const fileIr = extractSource(SOURCE, '/w/flow.ts');
  const findings = lintFile(fileIr, SOURCE, { bounds: computeBounds(fileIr) });
  const flow = fileIr.models.find((m) => m.name === 'flow')!;

  it('takes the findings inside a used custom class, at the block that uses it', () => {
    const inClass = findings.filter((f) => f.range.start.line >= 4 && f.range.start.line <= 11);
    assert.ok(
      inClass.some((f) => f.severity === 'error'),
      `the class has an error-level finding to carry: ${findings.map((f) => `${f.ruleId}:${f.severity}:${f.range.start.line + 1}`).join()}`,
    );
    const entries = modelLint(flow, findings, fileIr.customLayers);
    for (const f of inClass.filter((x) => x.severity === 'error' || x.severity === 'warning'))
      assert.ok(
        entries.some(
          (e) => e.ruleId === f.ruleId && e.range.start.line === f.range.start.line && e.blockIndex === 1,
        ),
        `${f.ruleId} at line ${f.range.start.line + 1} is in the report at block 1: ${JSON.stringify(entries)}`,
      );
    // Without the classes (what the report held before), they were missing.
    assert.ok(modelLint(flow, findings).every((e) => e.range.start.line > 12));
  });

  it("leaves out another class's findings", () => {
    const entries = modelLint(flow, findings, fileIr.customLayers);
    assert.ok(
      entries.every((e) => e.range.start.line < 14 || e.range.start.line > 19),
      JSON.stringify(entries),
    );
  });
});
