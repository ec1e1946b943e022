/**
 * The quick fix "Add @inputShape": after an audit failed because nothing says the shape of one input, inserts
 * `/** @inputShape [...] *\/` above the model. The shape is the first layer's `inputShape` / `batchInputShape` /
 * `inputDim` where the code spells it out; otherwise the placeholder `[n]` the user fills (VS Code's client
 * selects it when the fix runs from the audit's notification), never a made-up shape.
 */
import { type CodeAction, CodeActionKind, type Range } from 'vscode-languageserver';
import type { LayerNode, ModelNode } from '../../core/src/ir/model-ir';
import { walk } from '../../core/src/ir/model-ir';
import { ADD_INPUT_SHAPE, SHAPE_PLACEHOLDER } from '../../core/src/protocol/lsp';

function dims(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && (d as number) > 0)
    ? (v as number[])
    : undefined;
}

/** One point's shape as the model's first layer writes it, when every dimension is a literal number. */
export function shapeFromCode(model: ModelNode): number[] | undefined {
  let first: LayerNode | undefined;
  walk(model.body, (n) => {
    if (first === undefined && n.kind === 'layer') first = n;
  });
  if (first === undefined) return undefined;
  const c = first.config;
  const shape = dims(c['inputShape']);
  if (shape) return shape;
  const batch = c['batchInputShape'];
  // batchInputShape's first entry is the batch size (often null): the point's shape is the rest.
  if (Array.isArray(batch)) return dims(batch.slice(1));
  const dim = c['inputDim'];
  return typeof dim === 'number' && Number.isInteger(dim) && dim > 0 ? [dim] : undefined;
}

/**
 * The action for `model` in a document whose lines are `lines`: the tag goes on its own line above the line
 * where the model's declaration is named, indented as that line.
 */
export function addInputShapeAction(uri: string, model: ModelNode, lines: readonly string[]): CodeAction {
  const line = model.range.start.line;
  const indent = /^\s*/.exec(lines[line] ?? '')![0];
  const shape = shapeFromCode(model);
  const text = shape ? shape.join(', ') : SHAPE_PLACEHOLDER;
  const at: Range = { start: { line, character: 0 }, end: { line, character: 0 } };
  return {
    title: shape
      ? `${ADD_INPUT_SHAPE} [${text}] (from the first layer)`
      : `${ADD_INPUT_SHAPE} (fill in the shape)`,
    kind: CodeActionKind.QuickFix,
    isPreferred: true,
    edit: { changes: { [uri]: [{ range: at, newText: `${indent}/** @inputShape [${text}] */\n` }] } },
  };
}
