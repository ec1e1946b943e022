/**
 * Commands as a table of `(ctx) => handler` factories. Audit commands are offered everywhere, but in an
 * untrusted workspace they explain why they cannot run (and offer to manage trust) instead of sending a request:
 * `workspace.isTrusted` is checked here, and the server refuses untrusted audits as a second line of defence.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ErrorCodes, LSPErrorCodes, ResponseError, WorkDoneProgress } from 'vscode-languageclient/node';
import {
  ADD_INPUT_SHAPE,
  ADD_LIBRARY_COMMAND,
  type AuditOutcome,
  type AuditParams,
  AuditRequest,
  type AuditResult,
  type ConfigurationProblem,
  LastReportRequest,
  LintWorkspaceRequest,
  type ModelSummary,
  SHAPE_PLACEHOLDER,
} from '../../core/src/protocol/lsp';
import { reportVerdict, type StaticBlockBound, verdictText } from '../../core/src/protocol/webview';
import { plural } from '../../core/src/report/plural';
import { SHOW_RULE_DOCS } from '../../core/src/rules/rule-docs';
import type { Report } from '../../core/src/report/schema';
import { addLibrary } from './add-library-command';
import { auditBlocker, isUntrustedRefusal, MANAGE_TRUST, UNTRUSTED_AUDIT_MESSAGE } from './audit-gate';
import { type Ctx, req } from './ctx';
import { exportedHtml, saveWhole, temporaryName } from './report-export';
import { showRuleDocs } from './rule-docs-command';

export type Handler = (...args: unknown[]) => unknown;
export type CommandFactory = (ctx: Ctx) => Handler;

function offerRestart(): void {
  void vscode.window
    .showWarningMessage('Lipschitz Lens: the language server is not running.', 'Start it')
    .then((pick) => (pick ? vscode.commands.executeCommand('lipschitzLens.restartServer') : undefined));
}

/** A plain (not modal) warning: audits need trust, with the button that manages it. */
function explainUntrusted(ctx: Ctx): void {
  ctx.output.info('audit not started: the workspace is not trusted (Restricted Mode)');
  void vscode.window
    .showWarningMessage(UNTRUSTED_AUDIT_MESSAGE, MANAGE_TRUST.title)
    .then((pick) => (pick ? vscode.commands.executeCommand(MANAGE_TRUST.command) : undefined));
}

/** Whether the server runs, after waiting for a start under way; if not, offers a restart. */
async function running(ctx: Ctx): Promise<boolean> {
  if (await ctx.whenStarted()) return true;
  offerRestart();
  return false;
}

/** Whether an audit may start; if not, says why. Nothing is sent to the server when it may not. */
async function mayAudit(ctx: Ctx): Promise<boolean> {
  const blocker = auditBlocker({
    trusted: vscode.workspace.isTrusted,
    serverRunning: vscode.workspace.isTrusted && (await ctx.whenStarted()),
  });
  if (blocker === 'untrusted') explainUntrusted(ctx);
  else if (blocker === 'server-stopped') offerRestart();
  return blocker === undefined;
}

/** Runs an audit under a cancellable notification; the server's `$/progress` fills in its messages. */
async function audit(ctx: Ctx, params: AuditParams, title: string): Promise<void> {
  if (!(await mayAudit(ctx))) return;
  const client = ctx.client!;
  const result = await vscode.window
    .withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token): Promise<AuditResult | undefined> => {
        const workDoneToken = randomUUID();
        let last = 0;
        const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
          if (v.kind === 'end') return;
          const pct = v.percentage ?? last;
          progress.report({ message: v.message, increment: Math.max(0, pct - last) });
          last = pct;
        });
        try {
          // The token makes vscode-languageclient send `$/cancelRequest`; the server aborts the worker.
          return await client.sendRequest(req(AuditRequest), { ...params, workDoneToken }, token);
        } catch (e) {
          if (
            e instanceof ResponseError &&
            (e.code === LSPErrorCodes.RequestCancelled || e.code === ErrorCodes.PendingResponseRejected)
          ) {
            void vscode.window.showInformationMessage('Lipschitz Lens: audit cancelled.');
            return undefined;
          }
          throw e;
        } finally {
          sub.dispose();
        }
      },
    )
    .then(undefined, (e: unknown) => {
      if (isUntrustedRefusal(e)) {
        explainUntrusted(ctx);
        return undefined;
      }
      const message = e instanceof Error ? e.message : String(e);
      ctx.output.error(`audit failed: ${message}`);
      void vscode.window.showErrorMessage(`Lipschitz Lens: ${message}`);
      return undefined;
    });
  if (!result) return;
  for (const o of result.outcomes.filter((o) => o.error && !o.cancelled)) {
    ctx.output.warn(`${o.model.name}: ${o.error}`);
  }
  // A configuration problem is a step to take, with its quick fix: not a failed audit, no report to show.
  for (const o of result.outcomes) if (o.configuration) offerConfiguration(o.model, o.configuration);
  const reports = result.outcomes.filter((o) => o.report && !o.configuration);
  const failed = result.outcomes.filter((o) => o.error && !o.cancelled && !o.configuration);
  if (failed.length > 0) {
    void vscode.window.showWarningMessage(
      `Lipschitz Lens: ${plural(failed.length, 'model')} not audited: ${failed.map((o) => `${o.model.name} (${o.error})`).join('; ')}`.slice(
        0,
        500,
      ),
    );
  }
  const shown = reports.at(-1);
  if (shown?.report) {
    ctx.status.update({
      lastVerdict: reportVerdict(shown.report),
      lastVerdictText: verdictText(shown.report),
      backend: shown.report.backend?.name,
      message: undefined,
    });
    ctx.panel.show(shown.report, shown.staticBounds);
  }
}

/** "Add @inputShape" on the notification runs the server's quick fix on the model and selects the placeholder. */
function offerConfiguration(model: ModelSummary, problem: ConfigurationProblem): void {
  const fix = problem.kind === 'input-shape' ? ADD_INPUT_SHAPE : undefined;
  const shown = vscode.window.showWarningMessage(`Lipschitz Lens: ${problem.message}`, ...(fix ? [fix] : []));
  void shown.then(async (pick) => {
    if (pick !== fix || fix === undefined) return;
    const uri = vscode.Uri.parse(model.uri);
    const { start } = model.range;
    const at = new vscode.Range(start.line, start.character, start.line, start.character);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      at,
      vscode.CodeActionKind.QuickFix.value,
    );
    const action = actions.find((a) => a.title.startsWith(ADD_INPUT_SHAPE));
    if (!action?.edit) return;
    const editor = await vscode.window.showTextDocument(uri);
    await vscode.workspace.applyEdit(action.edit);
    // The tag is on the model's old line; an unknown shape is the placeholder `[n]`, selected to be typed over.
    const text = editor.document.lineAt(start.line).text;
    const i = text.indexOf(`[${SHAPE_PLACEHOLDER}]`);
    if (i >= 0) editor.selection = new vscode.Selection(start.line, i + 1, start.line, i + 2);
  });
}

function cursor(): { uri: string; position: vscode.Position } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Lipschitz Lens: open a model file first.');
    return undefined;
  }
  return { uri: editor.document.uri.toString(), position: editor.selection.active };
}

/** Saves a report as JSON, or as a self-contained HTML page with the static bounds the CLI's page has too. */
export async function exportReport(
  ctx: Ctx,
  report: Report,
  format: 'json' | 'html',
  staticBounds?: StaticBlockBound[],
): Promise<void> {
  const base = report.model.name.replace(/[^\w.-]+/g, '_') || 'report';
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}.stability.${format}`) : undefined,
    filters: format === 'json' ? { JSON: ['json'] } : { HTML: ['html'] },
  });
  if (!target) return;
  let text: string;
  if (format === 'json') text = `${JSON.stringify(report, null, 2)}\n`;
  else {
    const bundle = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview', 'report.js');
    text = exportedHtml(
      report,
      new TextDecoder().decode(await vscode.workspace.fs.readFile(bundle)),
      staticBounds,
    );
  }
  const temp = vscode.Uri.joinPath(target, '..', temporaryName(target.path.split('/').pop()!, randomUUID()));
  try {
    await saveWhole(vscode.workspace.fs, target, temp, new TextEncoder().encode(text));
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    void vscode.window.showErrorMessage(`Lipschitz Lens: cannot save ${target.fsPath}: ${why}`);
    return;
  }
  void vscode.window.showInformationMessage(`Lipschitz Lens: report saved to ${target.fsPath}.`);
}

async function lastReport(ctx: Ctx): Promise<AuditOutcome | undefined> {
  if (ctx.client?.isRunning()) {
    const { outcome } = await ctx.client.sendRequest(req(LastReportRequest), {});
    if (outcome?.report) return outcome;
  }
  const report = ctx.panel.lastReport;
  const staticBounds = ctx.panel.lastStaticBounds;
  return report
    ? {
        model: { id: '', name: report.model.name, uri: '', range: ZERO, intent: report.intent.kind },
        report,
        ...(staticBounds ? { staticBounds } : {}),
      }
    : undefined;
}

const ZERO = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export const commands: Record<string, CommandFactory> = {
  'lipschitzLens.auditModel': (ctx) => async (uri?: unknown, modelId?: unknown) => {
    // From a CodeLens: (uri, modelId). From the palette: the model at the cursor.
    if (!(await mayAudit(ctx))) return;
    if (typeof uri === 'string' && typeof modelId === 'string') {
      return audit(ctx, { scope: 'model', uri, modelId }, 'Auditing model stability');
    }
    const at = cursor();
    if (at)
      await audit(ctx, { scope: 'model', uri: at.uri, position: at.position }, 'Auditing model stability');
  },
  'lipschitzLens.auditFile': (ctx) => async () => {
    if (!(await mayAudit(ctx))) return;
    const at = cursor();
    if (at) await audit(ctx, { scope: 'file', uri: at.uri }, 'Auditing every model in the file');
  },
  'lipschitzLens.auditWorkspace': (ctx) => async () => {
    if (!(await mayAudit(ctx))) return;
    await ctx.client!.sendRequest(req(LintWorkspaceRequest), {});
    await audit(ctx, { scope: 'workspace' }, 'Auditing every model in the workspace');
  },
  'lipschitzLens.lintWorkspace': (ctx) => async () => {
    if (!(await running(ctx))) return;
    const r = await ctx.client!.sendRequest(req(LintWorkspaceRequest), {});
    void vscode.window.showInformationMessage(
      `Lipschitz Lens: ${plural(r.findings, 'finding')} in ${plural(r.files, 'file')}${r.skipped ? `, ${r.skipped} skipped` : ''} (${r.elapsedMs} ms).`,
    );
  },
  'lipschitzLens.showReport': (ctx) => async () => {
    const last = await lastReport(ctx);
    // The last audit needs configuration (the status item says so): offer its fix again, not the empty report.
    if (last?.configuration) offerConfiguration(last.model, last.configuration);
    else if (last?.report) ctx.panel.show(last.report, last.staticBounds);
    else
      void vscode.window.showInformationMessage(
        'Lipschitz Lens: no audit yet. Run "Audit stability" on a model.',
      );
  },
  'lipschitzLens.exportReport': (ctx) => async () => {
    const last = await lastReport(ctx);
    if (!last?.report)
      return void vscode.window.showInformationMessage('Lipschitz Lens: no report to export yet.');
    const pick = await vscode.window.showQuickPick(['html', 'json'], { placeHolder: 'Export format' });
    if (pick === 'html' || pick === 'json') await exportReport(ctx, last.report, pick, last.staticBounds);
  },
  // Also run when `activation` changes: with `off` (or `auto` and no tfjs) it stops the server and leaves it off.
  'lipschitzLens.restartServer': (ctx) => async () => {
    await ctx.stop();
    await ctx.startIfWanted();
  },
  'lipschitzLens.showOutput': (ctx) => () => ctx.output.show(true),
  [SHOW_RULE_DOCS]: (ctx) => showRuleDocs(ctx.extension.extensionUri),
  [ADD_LIBRARY_COMMAND]: addLibrary,
};
