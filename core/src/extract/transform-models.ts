/**
 * The models transforms written without classes make (transforms.ts): lists of transform objects are flows, and
 * kinds no model uses are models of their own, as unused layer classes are.
 */
import { ts } from 'ts-morph';
import type { BlockNode, CustomLayerInfo, IrNode, ModelNode, SourceRange } from '../ir/model-ir';
import { walk } from '../ir/model-ir';
import { boundName, type NameAt } from './class-name';
import type { Interp } from './interpreter';
import type { ModuleCtx } from './module';
import { instanceNode, objectName } from './transforms';
import type { Val } from './values';

/** Where a list of transforms was made or filled: the name it is known by. */
function listName(site: ts.Node): NameAt {
  if (ts.isCallExpression(site) && ts.isPropertyAccessExpression(site.expression)) {
    const recv = site.expression.expression;
    if (/^(push|unshift)$/.test(site.expression.name.text)) {
      if (ts.isIdentifier(recv)) return { name: recv.text, node: recv };
      if (ts.isPropertyAccessExpression(recv)) return { name: recv.name.text, node: recv.name };
    }
  }
  const named = boundName(site) ?? objectName(site);
  return named.node === site ? { name: 'flow', node: site } : named;
}

/** Records a list that holds transform objects: a candidate flow. */
export function noteList(interp: Interp, list: Val, site: ts.Node): void {
  const s = interp.session;
  if (s.transformKinds.size === 0 || list.t !== 'array' || s.transformLists.has(list)) return;
  if (list.items.some((i) => s.transformUses.has(i))) s.transformLists.set(list, site);
}

/** A model made from transforms, for extract-file to finish. */
export interface TransformModel {
  name: string;
  api: ModelNode['api'];
  range: SourceRange;
  body: BlockNode;
}

/**
 * The models transforms make in `mod`: each list of transform objects (and layers) that no model holds is a flow;
 * each kind of this file that no model uses, and that no other kind's instance holds, is a model of its own.
 * Also returns the kinds' synthetic classes, for `FileIr.customLayers`.
 */
export function transformModels(
  interp: Interp,
  mod: ModuleCtx,
  models: readonly ModelNode[],
): { models: TransformModel[]; classes: CustomLayerInfo[] } {
  const s = interp.session;
  const out: TransformModel[] = [];
  const kinds = [...s.transformKinds.values()].filter((k) => k.mod === mod);
  if (s.transformKinds.size === 0) return { models: out, classes: [] };
  const held = new Set<IrNode>();
  const usedClasses = new Set<string>();
  const mark = (body: IrNode): void =>
    walk(body, (n) => {
      held.add(n);
      if (n.kind === 'layer' && n.customClass && !n.customClassFile) usedClasses.add(n.customClass);
    });
  for (const m of models) mark(m.body);
  const block = (children: IrNode[], range: SourceRange): BlockNode => ({
    kind: 'block',
    id: s.id('b'),
    wiring: 'sequence',
    children,
    range,
  });
  // The steps of a composite transform are its own: a list of them is not a flow of its own.
  for (const k of kinds) if (k.first) walk(k.first, (n) => n !== k.first && held.add(n));
  // Flows: the longest lists first, so a list and the lists it was copied from make one flow.
  const lists = [...s.transformLists]
    .filter(([list, site]) => list.t === 'array' && site.getSourceFile() === mod.sf)
    .map(([list, site]) => ({ items: (list as Extract<Val, { t: 'array' }>).items, site }))
    .filter(({ items }) => items.length >= 2 && items.every((i) => i.t === 'layer' || s.transformUses.has(i)))
    .sort((a, b) => b.items.length - a.items.length);
  for (const { items, site } of lists) {
    const nodes = items.map((i) => (i.t === 'layer' ? i.node : s.transformUses.get(i)!.node));
    if (nodes.every((n) => held.has(n))) continue;
    const named = listName(site);
    const range = mod.range(named.node);
    const body = block(nodes, range);
    mark(body);
    out.push({ name: named.name, api: 'flow', range, body });
  }
  // A kind whose first instance sits in another kind's instance is linted there.
  const nested = new Set<string>();
  for (const k of kinds)
    if (k.first && k.first.kind === 'block')
      walk(k.first, (n) => {
        if (n.kind === 'layer' && n.customClass && n.customClass !== k.info.className)
          nested.add(n.customClass);
      });
  for (const k of kinds) {
    const name = k.info.className;
    if (usedClasses.has(name) || nested.has(name)) continue;
    const node = k.first ?? instanceNode(interp, k, k.info.range, []);
    const body = block([node], k.info.range);
    mark(body);
    out.push({ name, api: 'custom-layer', range: k.info.range, body });
  }
  return { models: out, classes: kinds.map((k) => k.info) };
}
