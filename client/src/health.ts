/**
 * The one health value the status bar item shows, and how it is presented. Pure (no vscode import) so it is
 * tested directly; status.ts applies it.
 */
import { NEEDS_SETUP, type ServerState } from '../../core/src/protocol/lsp';

export type ClientState = 'inactive' | 'stopped' | ServerState;

export interface Health {
  state: ClientState;
  trusted: boolean;
  backend?: string;
  lastVerdict?: string;
  /** The verdict's phrase (`verdictText`), shown in place of the word when known. */
  lastVerdictText?: string;
  message?: string;
}

export interface Presentation {
  text: string;
  tooltip: string;
  /** Drives the item's background: errors are loud, everything else quiet. */
  level: 'ok' | 'warning' | 'error';
}

const ICON: Record<ClientState, string> = {
  inactive: '$(circle-slash)',
  stopped: '$(debug-stop)',
  starting: '$(loading~spin)',
  ready: '$(pulse)',
  linting: '$(sync~spin)',
  auditing: '$(beaker~spin)',
  error: '$(error)',
};

export function present(h: Health): Presentation {
  const parts = [`${ICON[h.state]} Lipschitz`];
  const verdict = h.lastVerdictText ?? h.lastVerdict;
  if (verdict) parts.push(verdict);
  const tooltip = [
    `Lipschitz Lens: ${h.state}`,
    h.trusted ? undefined : 'Workspace not trusted: lint only, audits disabled',
    h.backend ? `Backend of the last audit: ${h.backend}` : undefined,
    verdict
      ? `${h.lastVerdict === NEEDS_SETUP ? 'Last audit did not run' : 'Last verdict'}: ${verdict}`
      : undefined,
    h.message,
  ]
    .filter((s): s is string => s !== undefined)
    .join('\n');
  const level =
    h.state === 'error' || h.state === 'stopped' || h.lastVerdict === 'unstable' || h.lastVerdict === 'failed'
      ? 'error'
      : // A missing setting (NEEDS_SETUP) is a step for the user, never coloured as a failed model.
        !h.trusted ||
          h.lastVerdict === 'warnings' ||
          h.lastVerdict === 'partial' ||
          h.lastVerdict === NEEDS_SETUP
        ? 'warning'
        : 'ok';
  return { text: parts.join(' '), tooltip, level };
}
