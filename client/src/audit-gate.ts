/**
 * Whether an audit may start, decided on the client before any request goes out, and the words used when it may
 * not. Pure (no vscode import) so it is tested directly; commands.ts shows the messages.
 */
import { LensErrorCodes } from '../../core/src/protocol/lsp';

export type AuditBlocker = 'untrusted' | 'server-stopped';

/** The button of the Restricted Mode explanation, and the command it runs. */
export const MANAGE_TRUST = { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' } as const;

export const UNTRUSTED_AUDIT_MESSAGE =
  "Lipschitz Lens: audits load and run this workspace's model code, so they are disabled until you trust the " +
  'folder. Linting keeps working.';

/**
 * Trust comes first: starting the server would not make an untrusted audit possible, so the user is told what
 * would.
 */
export function auditBlocker(s: { trusted: boolean; serverRunning: boolean }): AuditBlocker | undefined {
  if (!s.trusted) return 'untrusted';
  if (!s.serverRunning) return 'server-stopped';
  return undefined;
}

/** The server's refusal of an untrusted audit (its own line of defence), told apart from real failures. */
export function isUntrustedRefusal(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === LensErrorCodes.Untrusted;
}
