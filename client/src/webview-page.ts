/**
 * What the report and the training-monitor panels share: the page both load (dist/webview/report.js under a
 * nonce CSP) with the options it needs, and the check every message from it passes before it is acted on.
 */
import * as vscode from 'vscode';
import { type FromWebview, isFromWebview } from '../../core/src/protocol/webview';
import { makeNonce, webviewHtml } from '../../core/src/report/page';

/** Scripts on, only the webview bundle's folder readable; the page restores itself from its state when shown. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
  };
}

/**
 * Loads the page into a panel, new or restored after a reload (a restored panel's options are set again, so
 * they never depend on what VS Code kept).
 */
export function loadPage(panel: vscode.WebviewPanel, extensionUri: vscode.Uri): void {
  panel.webview.options = webviewOptions(extensionUri);
  const script = panel.webview.asWebviewUri(
    vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'report.js'),
  );
  panel.webview.html = webviewHtml({
    nonce: makeNonce(),
    cspSource: panel.webview.cspSource,
    scriptUri: script.toString(),
  });
}

/** A message from the page if it is one the protocol knows; otherwise it is logged (from `view`) and dropped. */
export function checkedMessage(
  raw: unknown,
  log: vscode.LogOutputChannel,
  view: string,
): FromWebview | undefined {
  if (isFromWebview(raw)) return raw;
  log.warn(`ignored an invalid message from the ${view} webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
  return undefined;
}
