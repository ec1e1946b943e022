/**
 * The static bound calculus per top-level block of a model, in model order: what the report shows beside
 * each measured constant. Plain data, so the language server and the CLI build it the same way.
 */
import type { BoundsMap } from '../bounds';
import type { IrNode, ModelNode } from '../ir/model-ir';
import type { StaticBlockBound } from '../protocol/webview';

function plainLabel(node: IrNode): string {
  switch (node.kind) {
    case 'layer':
      return node.layerType;
    case 'op':
      return node.op;
    case 'block':
      return node.instance?.layerType ?? node.wiring;
  }
}

export function staticBlockBounds(model: ModelNode, bounds: BoundsMap): StaticBlockBound[] {
  return model.body.children.map((c) => {
    const b = bounds.get(c.id);
    return {
      label: plainLabel(c),
      forward: b?.forward ?? 'unknown',
      inverse: b?.inverse ?? 'unknown',
      source: b?.source ?? '',
      file: c.range.file,
      range: { start: c.range.start, end: c.range.end },
    };
  });
}
