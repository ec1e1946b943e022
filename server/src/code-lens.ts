/**
 * The "Audit stability" CodeLens above each model. Without trust the lens stays, so the feature is discoverable,
 * but its title says it cannot run yet; its command is the same, and the client answers it with an explanation
 * and a way to manage trust instead of an audit.
 */
import type { CodeLens } from 'vscode-languageserver';
import type { ModelNode } from '../../core/src/ir/model-ir';
import { AuditModelCommand } from '../../core/src/protocol/lsp';

export function auditLensTitle(trusted: boolean): string {
  return trusted ? 'Audit stability' : 'Audit stability (trust required)';
}

export function auditLenses(uri: string, models: readonly ModelNode[], trusted: boolean): CodeLens[] {
  const title = auditLensTitle(trusted);
  return models.map((m) => ({
    range: { start: m.range.start, end: m.range.start },
    command: { title, command: AuditModelCommand, arguments: [uri, m.id] },
  }));
}
