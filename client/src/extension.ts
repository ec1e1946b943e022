/** Thin entry: build the context, register the command table, start the server when activation wants it. */
import * as vscode from 'vscode';
import { ListModelsRequest } from '../../core/src/protocol/lsp';
import { commands, exportReport } from './commands';
import { Ctx, req } from './ctx';
import { TrainingMonitorView } from './monitor-panel';

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  const c: Ctx = new Ctx(extension, (report, format, staticBounds) =>
    exportReport(c, report, format, staticBounds),
  );
  ctx = c;
  for (const [id, factory] of Object.entries(commands)) {
    extension.subscriptions.push(vscode.commands.registerCommand(id, factory(c)));
  }
  // The monitor reads run files (data, not code): it runs whether or not the server does, trusted or not.
  const monitor = new TrainingMonitorView(extension.extensionUri, c.output, c.config, async () =>
    c.client?.isRunning() ? c.client.sendRequest(req(ListModelsRequest), {}) : undefined,
  );
  extension.subscriptions.push(
    monitor,
    vscode.commands.registerCommand('lipschitzLens.showTrainingMonitor', () => monitor.pickAndShow()),
  );
  extension.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (c.config.needsRestart(e)) void vscode.commands.executeCommand('lipschitzLens.restartServer');
    }),
  );
  if (await c.startIfWanted()) return;
  // Adding tfjs later should not need a reload.
  const watcher = vscode.workspace.createFileSystemWatcher('**/package.json');
  const recheck = async (): Promise<void> => {
    if (!c.client && (await c.decide()).start) await c.start();
  };
  watcher.onDidChange(recheck);
  watcher.onDidCreate(recheck);
  extension.subscriptions.push(watcher);
}

export async function deactivate(): Promise<void> {
  await ctx?.client?.stop();
}
