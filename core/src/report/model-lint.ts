/**
 * The linter's error and warning findings about one model, per top-level block, for the audit report (issue 12,
 * item 3): the report shows them beside the measured values so "stable" never stands next to an unresolved
 * error without the report saying how the two relate. Plain data; the CLI and the language server build it alike.
 */
import { walk, type CustomLayerInfo, type IrNode, type ModelNode, type SourceRange } from '../ir/model-ir';
import type { LintEntry } from '../protocol/worker-messages';

/** What this needs of a rule finding (core/src/rules/rule.ts `Finding`), without importing the rules here. */
export interface RuleFindingLike {
  ruleId: string;
  severity: string;
  message: string;
  range: SourceRange;
}

function before(a: SourceRange['start'], b: SourceRange['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

function inside(r: SourceRange, outer: SourceRange): boolean {
  return r.file === outer.file && before(outer.start, r.start) && before(r.end, outer.end);
}

/**
 * Whether the finding lies in `block`: in its range, or in a node under it. A functional model's residual block
 * spans only its merge call (`tf.layers.add().apply([x, h])`), while its branch's layers are written before it.
 */
function holds(block: IrNode, range: SourceRange): boolean {
  if (inside(range, block.range)) return true;
  let found = false;
  walk(block, (node) => {
    found ||= inside(range, node.range);
  });
  return found;
}

/**
 * Which top-level block uses each custom class of `classes` (same-file classes only: their declarations are what a
 * finding can lie inside); a class used by several blocks maps to the first.
 */
function classBlocks(model: ModelNode, classes: readonly CustomLayerInfo[]): Map<CustomLayerInfo, number> {
  const out = new Map<CustomLayerInfo, number>();
  model.body.children.forEach((child, index) =>
    walk(child, (node) => {
      if (node.kind !== 'layer' || node.customClass === undefined || node.customClassFile !== undefined)
        return;
      const info = classes.find((c) => c.className === node.customClass);
      if (info !== undefined && !out.has(info)) out.set(info, index);
    }),
  );
  return out;
}

/**
 * Findings inside the model's body (each with the index of the top-level block holding it), on the model's own
 * name, or inside the declaration of a custom layer class the model uses (a missing inverse(), an exp scale in its
 * call()), with the block that uses it; info-level ones are left out, being hints rather than problems.
 */
export function modelLint(
  model: ModelNode,
  findings: readonly RuleFindingLike[],
  customLayers: readonly CustomLayerInfo[] = [],
): LintEntry[] {
  const used = classBlocks(model, customLayers);
  const out: LintEntry[] = [];
  for (const f of findings) {
    if (f.severity !== 'error' && f.severity !== 'warning') continue;
    let blockIndex = model.body.children.findIndex((c) => holds(c, f.range));
    if (blockIndex < 0 && !inside(f.range, model.body.range) && !inside(f.range, model.range)) {
      const owner = [...used].find(([info]) => inside(f.range, info.declaration));
      if (owner === undefined) continue;
      blockIndex = owner[1];
    }
    out.push({
      ruleId: f.ruleId,
      severity: f.severity,
      message: f.message,
      range: f.range,
      ...(blockIndex >= 0 ? { blockIndex } : {}),
    });
  }
  return out;
}
