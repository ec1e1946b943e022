/** The linter and the hover know NeuralOde: the computed map's bound, the exact flow's as a note. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBounds } from '../../core/src/bounds';
import { extractSource } from '../../core/src/extract';
import { type LayerNode, walk } from '../../core/src/ir/model-ir';
import { hoverMarkdown } from '../src/hover';

describe('NeuralOde in the linter', () => {
  it('hovers the RK4 map bounds and the exact flow e^{LT} as a note', () => {
    const text = `import { NeuralOde, Flow } from 'lipschitz-lens';
/** @inputShape [4] */
export const flow = new Flow([new NeuralOde({ hiddenLayers: 1, coeff: 0.5, steps: 2, time: 1 })]);
`;
    const ir = extractSource(text, '/w/flow.ts');
    const model = ir.models[0]!;
    let block: LayerNode | undefined;
    walk(model.body, (n) => {
      if (n.kind === 'layer' && n.layerType === 'NeuralOde') block = n;
    });
    const md = hoverMarkdown(block!, computeBounds(ir), undefined, model).value;
    // L <= 0.25, h = 0.5, z = 0.125: P(z) = 1 + z + z^2/2 + z^3/6 + z^4/24, P^2 = 1.284 (e^{0.25} = 1.284 too, to
    // 4 digits) forward, (2 - P)^-2 = 1.331 inverse.
    assert.match(
      md,
      /\| upper bound \| 1\.284 \| 1\.331 \| rk4 map: P\(z\)\^n forward, \(2 - P\(z\)\)\^-n inverse/,
    );
    assert.match(md, /exact flow \(not the computed map\): e\^\{LT\} = 1\.284/);
    assert.match(md, /is \*\*invertible\*\*: .*contains NeuralOde/);
  });
});
