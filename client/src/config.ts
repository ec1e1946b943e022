/** Typed access to the `lipschitzLens.*` settings the client itself reads; the server pulls the rest. */
import * as vscode from 'vscode';
import type { Activation } from './activation';

export class Config {
  static readonly section = 'lipschitzLens';
  /** Settings read once at server start: changing them needs a restart (the server re-pulls everything else). */
  static readonly restartKeys = ['lipschitzLens.activation', 'lipschitzLens.server.path'];

  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(Config.section);
  }

  get activation(): Activation {
    const v = this.cfg.get<string>('activation', 'auto');
    return v === 'always' || v === 'off' ? v : 'auto';
  }

  /** An alternative server bundle, for developing the server. Empty means the bundled one. */
  get serverPath(): string {
    return this.cfg.get<string>('server.path', '');
  }

  needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
    return Config.restartKeys.some((k) => e.affectsConfiguration(k));
  }
}
