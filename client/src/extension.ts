/** Thin entry: build the context, register the command table, start the server when activation wants it. */
import * as vscode from 'vscode';
import { commands, exportReport } from './commands';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  const c: Ctx = new Ctx(extension, (report, format, staticBounds) =>
    exportReport(c, report, format, staticBounds),
  );
  ctx = c;
  for (const [id, factory] of Object.entries(commands)) {
    extension.subscriptions.push(vscode.commands.registerCommand(id, factory(c)));
  }
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
