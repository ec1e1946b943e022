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

  /** The training monitor view: which workspace files may be run files (each is checked by its first line). */
  get monitorRunFiles(): string {
    return this.cfg.get<string>('monitor.runFiles', '**/*.jsonl') || '**/*.jsonl';
  }

  /** Run files larger than this are not read (a run of a few thousand measurements is a few MB). */
  get monitorMaxFileSizeMB(): number {
    const v = this.cfg.get<number>('monitor.maxFileSizeMB', 64);
    return Number.isFinite(v) && v > 0 ? v : 64;
  }

  /** Thresholds the editor alerts on; null: the ones each run was recorded with. */
  get monitorThresholds(): { inverse: number | null; reconstruction: number | null } {
    return {
      inverse: this.cfg.get<number | null>('monitor.inverseThreshold', null),
      reconstruction: this.cfg.get<number | null>('monitor.reconstructionThreshold', null),
    };
  }

  get monitorNotify(): boolean {
    return this.cfg.get<boolean>('monitor.notify', true);
  }

  needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
    return Config.restartKeys.some((k) => e.affectsConfiguration(k));
  }
}
