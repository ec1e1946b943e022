/** The linter and the hover know ReversibleBlock: its bound from the options, and the model's intent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBounds } from '../../core/src/bounds';
import { extractSource } from '../../core/src/extract';
import { type LayerNode, walk } from '../../core/src/ir/model-ir';
import { lintFile } from '../../core/src/rules/run-rules';
import { hoverMarkdown } from '../src/hover';

function hoverOfBlock(options: string): string {
  const text = `import { ReversibleBlock, Flow } from 'lipschitz-lens';
/** @inputShape [4] */
export const flow = new Flow([new ReversibleBlock(${options})]);
`;
  const ir = extractSource(text, '/w/flow.ts');
  const model = ir.models[0]!;
  let block: LayerNode | undefined;
  walk(model.body, (n) => {
    if (n.kind === 'layer' && n.layerType === 'ReversibleBlock') block = n;
  });
  return hoverMarkdown(block!, computeBounds(ir), undefined, model).value;
}

describe('ReversibleBlock in the linter', () => {
  it('hovers the bound sigma_max([[1, a], [b, 1 + ab]]) when conditionerNorm fixes Lip(F) = Lip(G)', () => {
    // hiddenLayers 2 (the default): 3 kernels of norm <= 0.5, a = b = 0.125: sigma_max = 1.13306.
    const md = hoverOfBlock('{ hiddenUnits: 16, conditionerNorm: 0.5 }');
    assert.match(md, /\| upper bound \| 1\.133 \| 1\.133 \| sigma_max\(\[\[1, a\], \[b, 1 \+ ab\]\]\)/);
    assert.match(md, /is \*\*invertible\*\*: .*contains ReversibleBlock/);
  });

  it('hovers unknown when F and G are unconstrained', () => {
    assert.match(hoverOfBlock('{}'), /\| upper bound \| unknown \| unknown \| .*depend on the weights/);
  });

  it('makes a sequential model invertible, so the rules for invertible models apply', () => {
    const text = `import * as tf from '@tensorflow/tfjs';
import { ReversibleBlock } from 'lipschitz-lens';
export const m = tf.sequential({ layers: [new ReversibleBlock({ inputShape: [4] }), tf.layers.batchNormalization()] });
`;
    const ids = lintFile(extractSource(text, '/w/m.ts'), text).map((f) => f.ruleId);
    assert.deepEqual(ids, ['batchnorm-in-invertible']);
  });
});
