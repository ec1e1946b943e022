/**
 * The static bound calculus per top-level block of a model, in model order: what the report shows beside
 * each measured constant. Plain data, so the language server and the CLI build it the same way.
 */
import type { BoundsMap } from '../bounds';
import type { IrNode, ModelNode } from '../ir/model-ir';
import type { StaticBlockBound } from '../protocol/webview';
import type { ReportStaticBound } from './schema';

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

/** The whole model's static bound: for a critic, the guarantee its measured constant is compared with. */
export function staticModelBound(model: ModelNode, bounds: BoundsMap): ReportStaticBound | undefined {
  const b = bounds.get(model.id) ?? bounds.get(model.body.id);
  return b === undefined
    ? undefined
    : { label: model.name, forward: b.forward, inverse: b.inverse, source: b.source };
}
