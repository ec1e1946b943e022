/** The linter and the hover know MaskedAutoregressive: unbounded globally, the scale form's gains as a note. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBounds } from '../../core/src/bounds';
import { extractSource } from '../../core/src/extract';
import { type LayerNode, walk } from '../../core/src/ir/model-ir';
import { hoverMarkdown } from '../src/hover';

describe('MaskedAutoregressive in the linter', () => {
  it('hovers unbounded both ways with the gains in x_i of its scale form, in an invertible model', () => {
    const text = `import { MaskedAutoregressive, Permutation, Flow } from 'lipschitz-lens';
/** @inputShape [4] */
export const flow = new Flow([new MaskedAutoregressive({ scaleBound: 3 }), new Permutation()]);
`;
    const ir = extractSource(text, '/w/flow.ts');
    const model = ir.models[0]!;
    let maf: LayerNode | undefined;
    walk(model.body, (n) => {
      if (n.kind === 'layer' && n.layerType === 'MaskedAutoregressive') maf = n;
    });
    const md = hoverMarkdown(maf!, computeBounds(ir), undefined, model).value;
    assert.match(
      md,
      /\| upper bound \| unbounded \| unbounded \| masked autoregressive transform \(scale 'bounded-tanh'\)/,
    );
    assert.match(md, /gain in x_i <= 3, inverse gain in x_i <= 3/);
    assert.match(md, /is \*\*invertible\*\*: .*contains MaskedAutoregressive/);
  });
});
