/**
 * What the audit needs to know about a model the extractor found: where it is, the shape and factory arguments
 * its JSDoc declares, and the source of each top-level block in order (probe results name blocks at run time,
 * by position, so findings can point at the line that built the block).
 */
import type { FileIr, IntentKind, ModelNode, SourceRange } from '../ir/model-ir';

export interface AuditTarget {
  model: ModelNode;
  range: SourceRange;
  inputShape?: number[];
  args?: unknown[];
  /** Ranges of the model's top-level blocks, in the order they are applied. */
  blockRanges: SourceRange[];
  /** The linter's intent, as plain data for the worker: it picks the probes and what the verdict means. */
  intent: { kind: IntentKind; signals: string[] };
}

/** The model exported as `exportName` (or the default / only exported model) in a file's IR. */
export function findAuditTarget(fileIr: FileIr, exportName?: string): AuditTarget | undefined {
  const exported = fileIr.models.filter((m) => m.exportName !== undefined);
  const model =
    exportName === undefined
      ? (exported.find((m) => m.exportName === 'default') ??
        (exported.length === 1 ? exported[0] : undefined) ??
        (fileIr.models.length === 1 ? fileIr.models[0] : undefined))
      : fileIr.models.find((m) => m.exportName === exportName || m.name === exportName);
  return model === undefined ? undefined : auditTarget(model);
}

export function auditTarget(model: ModelNode): AuditTarget {
  return {
    model,
    range: model.range,
    ...(model.inputShape ? { inputShape: model.inputShape } : {}),
    ...(model.auditArgs ? { args: model.auditArgs } : {}),
    blockRanges: model.body.children.map((child) => child.range),
    intent: { kind: model.intent.kind, signals: model.intent.signals.map((s) => s.message) },
  };
}
