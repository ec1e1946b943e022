/**
 * The static bound calculus per top-level block of a model, in model order: what the report shows beside
 * each measured constant. Plain data, so the language server and the CLI build it the same way.
 */
import type { BoundsMap } from '../bounds';
import type { IrNode, ModelNode } from '../ir/model-ir';
import type { StaticBlockBound } from '../protocol/webview';
import type { ReportStaticBound } from './schema';

/** What a block is: its layer type (`dense`, `AffineCoupling`) or its wiring (`residual`). */
function kindOf(node: IrNode): string {
  switch (node.kind) {
    case 'layer':
      return node.layerType;
    case 'op':
      return node.op;
    case 'block':
      return node.instance?.layerType ?? node.wiring;
  }
}

/**
 * The name the code gives a block: a layer's `name` config (the name tfjs gives it at run time too), a merge's
 * name or declared variable (BlockNode.name), a custom layer instance's `name` config.
 */
function codeName(node: IrNode): string | undefined {
  const layer = node.kind === 'layer' ? node : node.kind === 'block' ? node.instance : undefined;
  const configured = layer?.config['name'];
  if (typeof configured === 'string' && configured !== '') return configured;
  return node.kind === 'block' ? node.name : undefined;
}

/**
 * Each block's name: the code's, where it names that block alone (a helper called twice declares the same
 * variable twice, which names neither call), else `block_<n>` (1-based, in model order). Names are unique and
 * have no spaces, so "(block <name>)" in a finding reads back as the name.
 */
export function blockNames(children: readonly IrNode[]): string[] {
  const given = children.map(codeName);
  const uses = new Map<string, number>();
  for (const n of given) if (n !== undefined) uses.set(n, (uses.get(n) ?? 0) + 1);
  const kept = given.map((n) => (n !== undefined && uses.get(n) === 1 && !/\s/.test(n) ? n : undefined));
  const taken = new Set(kept.filter((n) => n !== undefined));
  return kept.map((n, i) => {
    if (n !== undefined) return n;
    // The code may use a generated-looking name itself (`name: 'block_2'`): it keeps it.
    let generated = `block_${i + 1}`;
    while (taken.has(generated)) generated += '_';
    return generated;
  });
}

export function staticBlockBounds(model: ModelNode, bounds: BoundsMap): StaticBlockBound[] {
  const children = model.body.children;
  const names = blockNames(children);
  return children.map((c, i) => {
    const b = bounds.get(c.id);
    return {
      label: names[i]!,
      kind: kindOf(c),
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
