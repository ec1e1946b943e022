/** Model bodies from what was built, and the marks that say what a model must satisfy. */
import type { BlockNode, CustomLayerInfo, IrNode, ModelNode } from '../ir/model-ir';
import { GraphReader } from './functional';
import type { Marks } from './jsdoc';
import { rememberStructure, structuralIntent } from './intent';
import { unknownLayer } from './layers';
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
  if (m.levels) {
    // A MultiScaleFlow: one sequence block per level, in the body that knows the levels' wiring.
    body.wiring = 'multi-scale';
    body.children = m.items.map((level) => ({
      kind: 'block',
      id: session.id('b'),
      wiring: 'sequence',
      children: listEntry(session, m, level),
      range: m.range,
    }));
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
    case 'object': {
      // A transform written as an object with forward/inverse, put into a Flow or sequential like a layer.
      const use = session.transformUses.get(v);
      if (use) return [use.node];
      return [unknownLayer(session, 'object', m.range)];
    }
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

export function finishModel(
  session: Session,
  base: Pick<ModelNode, 'name' | 'api' | 'range' | 'body'>,
  marks: Marks,
  exportName: string | undefined,
): ModelNode {
  const model: ModelNode = {
    kind: 'model',
    id: session.id('m'),
    ...base,
    // Decided for the whole file by decideIntents, once every model is known.
    intent: { kind: 'ordinary', signals: [] },
  };
  const classOf = (name: string): CustomLayerInfo | undefined => {
    for (const c of session.classes.values()) if (c.className === name) return c;
    return undefined;
  };
  rememberStructure(model, structuralIntent(base.api, base.body, marks, base.range, classOf));
  if (marks.checkpoint) model.checkpoint = marks.checkpoint;
  if (marks.inputShape) model.inputShape = marks.inputShape;
  if (marks.inputShapeError) model.inputShapeError = marks.inputShapeError;
  if (marks.auditArgs) model.auditArgs = marks.auditArgs;
  if (marks.inputDomain) model.inputDomain = marks.inputDomain;
  if (exportName) model.exportName = exportName;
  return model;
}
