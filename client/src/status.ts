/** The status bar item: one health value in, text/tooltip/colour out (see health.ts). */
import * as vscode from 'vscode';
import { type Health, present } from './health';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'lipschitzLens.status',
    vscode.StatusBarAlignment.Left,
    10,
  );
  private health: Health;

  constructor(trusted: boolean) {
    this.health = { state: 'inactive', trusted };
    this.item.name = 'Lipschitz Lens';
    this.item.command = 'lipschitzLens.showReport';
    this.render();
  }

  get value(): Health {
    return this.health;
  }

  update(patch: Partial<Health>): void {
    this.health = { ...this.health, ...patch };
    this.render();
  }

  private render(): void {
    const p = present(this.health);
    this.item.text = p.text;
    this.item.tooltip = p.tooltip;
    this.item.backgroundColor =
      p.level === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : p.level === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    if (this.health.state === 'inactive') this.item.hide();
    else this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
