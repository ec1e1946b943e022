/** Code action middleware: the server's placeholder edits become snippet edits, so VS Code selects the placeholder. */
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import { inputShapeSnippet } from './input-shape-snippet';

/** The action with each placeholder edit as a snippet edit; untouched when it has none. */
function withSnippets(action: vscode.CodeAction): vscode.CodeAction {
  const entries = action.edit?.entries() ?? [];
  if (!entries.some(([, edits]) => edits.some((e) => inputShapeSnippet(e.newText) !== undefined)))
    return action;
  const edit = new vscode.WorkspaceEdit();
  for (const [uri, edits] of entries)
    edit.set(
      uri,
      edits.map((e) => {
        const snippet = inputShapeSnippet(e.newText);
        return snippet === undefined
          ? e
          : new vscode.SnippetTextEdit(e.range, new vscode.SnippetString(snippet));
      }),
    );
  action.edit = edit;
  return action;
}

export const withSnippetPlaceholders: NonNullable<Middleware['provideCodeActions']> = async (
  document,
  range,
  context,
  token,
  next,
) => {
  const actions = await next(document, range, context, token);
  return actions?.map((a) => (a instanceof vscode.CodeAction ? withSnippets(a) : a));
};
