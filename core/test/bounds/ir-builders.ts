/** Hand-built IR for the bound calculus tests: one model in one file, with every field the extractor fills. */
import type { BlockNode, FileIr, ModelNode } from '../../src/ir/model-ir';

export const R = { file: '/m.ts', start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

export function fileOf(body: BlockNode, extra: Partial<ModelNode> = {}): { ir: FileIr; model: ModelNode } {
  const model: ModelNode = {
    kind: 'model',
    id: 'm',
    name: 'm',
    api: 'sequential',
    range: R,
    body,
    intent: { kind: 'invertible', signals: [] },
    ...extra,
  };
  return { ir: { file: '/m.ts', models: [model], customLayers: [], looseLayers: [], notes: [] }, model };
}
