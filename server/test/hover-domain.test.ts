/** The hover of an affine coupling: unbounded globally, and a row with its bound on a declared input domain. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBounds } from '../../core/src/bounds';
import { extractSource } from '../../core/src/extract';
import { type LayerNode, walk } from '../../core/src/ir/model-ir';
import { hoverMarkdown } from '../src/hover';

function hoverOfCoupling(tags: string): string {
  const text = `import { AffineCoupling, Flow } from 'lipschitz-lens';
/** ${tags} */
export const flow = new Flow([new AffineCoupling({ hiddenLayers: 1, conditionerNorm: 0.5 })]);
`;
  const ir = extractSource(text, '/w/flow.ts');
  const model = ir.models[0]!;
  let coupling: LayerNode | undefined;
  walk(model.body, (n) => {
    if (n.kind === 'layer' && n.layerType === 'AffineCoupling') coupling = n;
  });
  return hoverMarkdown(coupling!, computeBounds(ir), undefined, model).value;
}

describe('hover on a declared input domain', () => {
  it('adds a finite row for the domain under the unbounded global bound', () => {
    const md = hoverOfCoupling('@inputShape [4] @inputDomain box [-2, 2]');
    assert.match(md, /\| upper bound \| unbounded \| unbounded \|/);
    assert.match(md, /\| on the declared domain \(every x_i in \[-2, 2\]\) \| \d+(\.\d+)? \| \d+(\.\d+)? \|/);
  });

  it('has no domain row without the tag', () => {
    const md = hoverOfCoupling('@inputShape [4]');
    assert.match(md, /\| upper bound \| unbounded \| unbounded \|/);
    assert.doesNotMatch(md, /declared domain/);
  });
});
