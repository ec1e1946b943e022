/** Model bodies from what was built, and the marks that say what a model must satisfy. */
import type { BlockNode, IrNode, ModelNode } from '../ir/model-ir';
import { walk } from '../ir/model-ir';
import { GraphReader } from './functional';
import type { Marks } from './jsdoc';
import { INVERTIBLE_LENS_LAYERS, unknownLayer } from './layers';
import type { Session } from './session';
import type { ModelBuild, Val } from './values';

/** The body of a model as it stands: the `sequential`/`Flow` list, or the functional graph read back. */
export function modelBody(session: Session, m: ModelBuild): BlockNode {
  const body: BlockNode = {
    kind: 'block',
    id: session.id('b'),
    wiring: 'sequence',
    children: [],
    range: m.range,
  };
  if (m.api === 'functional') {
    body.children = functionalChildren(session, m);
    return body;
  }
  body.children = m.items.flatMap((v) => listEntry(session, m, v));
  return body;
}

function listEntry(session: Session, m: ModelBuild, v: Val): IrNode[] {
  switch (v.t) {
    case 'layer':
      return [v.node];
    case 'array':
      return v.items.flatMap((i) => listEntry(session, m, i));
    case 'model':
      return v.m === m ? [] : [modelBody(session, v.m)];
    case 'unknown':
      return [unknownLayer(session, v.text, v.range ?? m.range)];
    default:
      return [unknownLayer(session, v.t, m.range)];
  }
}

function functionalChildren(session: Session, m: ModelBuild): IrNode[] {
  const reader = new GraphReader(session);
  const out = m.outputs;
  if (out?.t === 'tensor') return reader.sequence(out.tn);
  if (out?.t === 'array') {
    const tensors = out.items.flatMap((i) => (i.t === 'tensor' ? [i.tn] : []));
    return [
      reader.block(
        'graph',
        tensors.map((tn) => reader.block('sequence', reader.sequence(tn), m.range)),
        m.range,
      ),
    ];
  }
  session.note('The model outputs could not be traced to layers.', m.range);
  return [];
}

/** Whether the body holds something that only makes sense invertible: couplings, flow layers, inverses. */
export function containsInvertible(body: BlockNode, isInvertibleClass: (name: string) => boolean): boolean {
  let found = false;
  walk(body, (n) => {
    if (n.kind === 'block' && (n.wiring === 'affine-coupling' || n.wiring === 'additive-coupling'))
      found = true;
    if (n.kind === 'layer' && n.origin === 'lipschitz-lens' && INVERTIBLE_LENS_LAYERS.has(n.layerType))
      found = true;
    if (n.kind === 'layer' && n.origin === 'custom' && n.customClass && isInvertibleClass(n.customClass))
      found = true;
  });
  return found;
}

const LIPSCHITZ_NAMES = /critic|discriminator/i;

export function finishModel(
  session: Session,
  base: Pick<ModelNode, 'name' | 'api' | 'range' | 'body'>,
  marks: Marks,
  exportName: string | undefined,
  isInvertibleClass: (name: string) => boolean,
): ModelNode {
  const model: ModelNode = {
    kind: 'model',
    id: session.id('m'),
    ...base,
    invertible: base.api === 'flow' || marks.invertible || containsInvertible(base.body, isInvertibleClass),
    needsLipschitz:
      marks.lipschitz || LIPSCHITZ_NAMES.test(base.name) || LIPSCHITZ_NAMES.test(exportName ?? ''),
  };
  if (marks.checkpoint) model.checkpoint = marks.checkpoint;
  if (marks.inputShape) model.inputShape = marks.inputShape;
  if (marks.auditArgs) model.auditArgs = marks.auditArgs;
  if (exportName) model.exportName = exportName;
  return model;
}
