/**
 * The report panels: one webview panel per audited model, kept until closed, the latest audit's focused; each
 * restored across reloads by a serializer. A panel sends its report only after the webview says `ready`,
 * validates every message that comes back, and reveals source on `reveal`.
 */
import * as vscode from 'vscode';
import {
  type StaticBlockBound,
  type ToWebview,
  type WebviewRange,
  type WebviewState,
} from '../../core/src/protocol/webview';
import { checkedMessage, loadPage, webviewOptions } from './webview-page';
import type { Report } from '../../core/src/report/schema';

export const REPORT_VIEW_TYPE = 'lipschitzLens.report';

export type ExportHandler = (
  report: Report,
  format: 'json' | 'html',
  staticBounds?: StaticBlockBound[],
) => Promise<void>;

/** Which panel a report goes to: its model's file and name. */
function keyOf(report: Report): string {
  return `${report.model.file ?? ''}#${report.model.name}`;
}

/** One model's panel. */
class ReportView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private pending: ToWebview | undefined;
  report: Report | undefined;
  staticBounds: StaticBlockBound[] | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onExport: ExportHandler,
    /** Called when the panel comes to the front, and when it closes. */
    private readonly onFocus: (view: ReportView) => void,
    private readonly onClose: (view: ReportView) => void,
  ) {}

  show(report: Report, staticBounds?: StaticBlockBound[]): void {
    this.report = report;
    this.staticBounds = staticBounds;
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(
        REPORT_VIEW_TYPE,
        `Stability: ${report.model.name}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        webviewOptions(this.extensionUri),
      );
      this.attach(panel);
    } else {
      this.panel.title = `Stability: ${report.model.name}`;
      this.panel.reveal(undefined, true);
    }
    this.post({ type: 'report', report, ...(staticBounds ? { staticBounds } : {}) });
  }

  attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    loadPage(panel, this.extensionUri);
    panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m), undefined, this.disposables);
    panel.onDidChangeViewState(
      (e) => {
        if (e.webviewPanel.active) this.onFocus(this);
      },
      undefined,
      this.disposables,
    );
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.onClose(this);
    });
  }

  private post(message: ToWebview): void {
    // Messages posted before the webview's script runs are lost: hold the latest until `ready`.
    if (!this.panel || !this.ready) {
      this.pending = message;
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const m = checkedMessage(raw, this.log, 'report');
    if (!m) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.pending) {
          const p = this.pending;
          this.pending = undefined;
          this.post(p);
        }
        return;
      case 'reveal':
        return this.reveal(m.file, m.range);
      case 'export':
        if (this.report) await this.onExport(this.report, m.format, this.staticBounds);
        return;
    }
  }

  private async reveal(file: string, range: WebviewRange): Promise<void> {
    try {
      const uri =
        /^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file)
          ? vscode.Uri.parse(file)
          : vscode.Uri.file(file);
      const doc = await vscode.workspace.openTextDocument(uri);
      const r = new vscode.Range(
        range.start.line,
        range.start.character,
        range.end.line,
        range.end.character,
      );
      await vscode.window.showTextDocument(doc, {
        selection: r,
        viewColumn: vscode.ViewColumn.One,
        preserveFocus: false,
      });
    } catch (e) {
      this.log.error(`could not reveal ${file}: ${e instanceof Error ? e.message : String(e)}`);
      void vscode.window.showWarningMessage(`Lipschitz Lens: could not open ${file}.`);
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Every model's report panel; `last*` is the report most recently shown or focused. */
export class ReportPanel implements vscode.Disposable {
  private readonly views = new Map<string, ReportView>();
  private active: ReportView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onExport: ExportHandler,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          // The webview restores its own report from getState(); we only re-attach the host side.
          const s = state as WebviewState | undefined;
          const view = this.newView();
          if (s?.report) {
            view.report = s.report;
            view.staticBounds = s.staticBounds;
            this.views.set(keyOf(s.report), view);
          }
          view.attach(panel);
          this.active ??= view;
        },
      }),
    );
  }

  private newView(): ReportView {
    return new ReportView(
      this.extensionUri,
      this.log,
      this.onExport,
      (v) => (this.active = v),
      (v) => {
        for (const [k, view] of this.views) if (view === v) this.views.delete(k);
        // A closed panel's report stays the last one until another is shown or focused.
        v.dispose();
      },
    );
  }

  get lastReport(): Report | undefined {
    return this.active?.report;
  }

  /** The static bounds shown beside the last report, if its audit had them. */
  get lastStaticBounds(): StaticBlockBound[] | undefined {
    return this.active?.staticBounds;
  }

  /** Shows the report in its model's panel (opening one if needed) and brings that panel forward. */
  show(report: Report, staticBounds?: StaticBlockBound[]): void {
    const key = keyOf(report);
    let view = this.views.get(key);
    if (view === undefined) {
      view = this.newView();
      this.views.set(key, view);
    }
    this.active = view;
    view.show(report, staticBounds);
  }

  dispose(): void {
    for (const view of this.views.values()) view.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
