import type { BlockNode, FileIr, IrNode, LayerNode, ModelNode } from '../../src/ir/model-ir';
import { walk } from '../../src/ir/model-ir';

export function layersOf(node: IrNode): LayerNode[] {
  const out: LayerNode[] = [];
  walk(node, (n, ancestors) => {
    if (n.kind === 'layer' && ancestors[ancestors.length - 1]?.instance !== n) out.push(n);
  });
  return out;
}

export function blocksOf(node: IrNode): BlockNode[] {
  const out: BlockNode[] = [];
  walk(node, (n) => n.kind === 'block' && out.push(n));
  return out;
}

export function model(ir: FileIr, name: string): ModelNode {
  const m = ir.models.find((x) => x.name === name);
  if (!m) throw new Error(`no model '${name}' in ${ir.models.map((x) => x.name).join(', ')}`);
  return m;
}

/** 0-based line of the first line containing `needle`. */
export function lineOf(src: string, needle: string): number {
  const i = src.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`'${needle}' not in source`);
  return i;
}
