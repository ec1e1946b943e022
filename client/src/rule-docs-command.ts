/** "Show Rule Documentation": a rule's shipped page in the markdown preview, offline (diagnostic links run it). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ruleCatalogue, rulePage } from './rule-docs';

async function pickRule(extensionRoot: string): Promise<string | undefined> {
  const readme = readFileSync(join(extensionRoot, 'docs', 'rules', 'README.md'), 'utf8');
  const picked = await vscode.window.showQuickPick(
    ruleCatalogue(readme).map((r) => ({ label: r.id, detail: r.checks })),
    { placeHolder: 'Rule to show', matchOnDetail: true },
  );
  return picked?.label;
}

/** With a rule id (from a diagnostic's link) opens its page; without one asks which rule. */
export function showRuleDocs(extensionUri: vscode.Uri): (ruleId?: unknown) => Promise<void> {
  return async (ruleId) => {
    const root = extensionUri.fsPath;
    const id = ruleId === undefined ? await pickRule(root) : ruleId;
    if (id === undefined) return;
    const page = rulePage(root, id);
    if (page === undefined) {
      void vscode.window.showErrorMessage(
        `Lipschitz Lens: no documentation page for rule ${JSON.stringify(id)}.`,
      );
      return;
    }
    // Beside the code the diagnostic is in, so both stay visible.
    await vscode.commands.executeCommand('markdown.showPreviewToSide', vscode.Uri.file(page));
  };
}
