/** Extension state shared by commands: the language client (when running), output, status and the panel. */
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  NotificationType,
  RequestType,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  type InitializationOptions,
  type NotificationSpec,
  type RequestSpec,
  ServerStatusNotification,
  TrustNotification,
} from '../../core/src/protocol/lsp';
import { type ActivationDecision, decideActivation, stayingOffMessage } from './activation';
import { Config } from './config';
import { ReportPanel, type ExportHandler } from './report-panel';
import { withSnippetPlaceholders } from './snippet-actions';
import { StatusItem } from './status';
import { manifestUsesTfjs } from './tfjs-detect';

export function req<P, R>(spec: RequestSpec<P, R>): RequestType<P, R, void> {
  return new RequestType<P, R, void>(spec.method);
}
export function note<P>(spec: NotificationSpec<P>): NotificationType<P> {
  return new NotificationType<P>(spec.method);
}

const SELECTOR = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'].map((language) => ({
  scheme: 'file',
  language,
}));

export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly output = vscode.window.createOutputChannel('Lipschitz Lens', { log: true });
  readonly status = new StatusItem(vscode.workspace.isTrusted);
  readonly panel: ReportPanel;
  client: LanguageClient | undefined;
  /** The start under way or last made; see whenStarted. */
  private starting: Promise<void> | undefined;

  constructor(
    readonly extension: vscode.ExtensionContext,
    onExport: ExportHandler,
  ) {
    this.panel = new ReportPanel(extension.extensionUri, this.output, onExport);
    extension.subscriptions.push(
      this,
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.status.update({ trusted: true });
        void this.client?.sendNotification(note(TrustNotification), { trusted: true });
      }),
    );
  }

  /** Whether to run here: `always`, or `auto` and some package.json outside node_modules names tfjs. */
  decide(): Promise<ActivationDecision> {
    return decideActivation(this.config.activation, () => this.workspaceUsesTfjs());
  }

  private async workspaceUsesTfjs(): Promise<boolean> {
    const manifests = await vscode.workspace.findFiles('**/package.json', '**/node_modules/**', 200);
    for (const uri of manifests) {
      try {
        if (manifestUsesTfjs(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)))) return true;
      } catch {
        // unreadable manifest: try the next
      }
    }
    return false;
  }

  /** Starts the server when the activation mode wants it; otherwise logs why it stays off. */
  async startIfWanted(): Promise<boolean> {
    const decision = await this.decide();
    if (decision.start) await this.start();
    else this.output.info(stayingOffMessage(decision.reason));
    return decision.start;
  }

  /**
   * Resolves once a start under way has ended (true when the server then runs). Commands wait on it, so the
   * palette can show them from activation on instead of only once the server is up.
   */
  async whenStarted(): Promise<boolean> {
    if (this.client?.isRunning()) return true;
    if (this.starting === undefined) return false;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Starting the Lipschitz Lens server' },
      () => this.starting!,
    );
    return this.client?.isRunning() === true;
  }

  start(): Promise<void> {
    if (this.client) return this.starting ?? Promise.resolve();
    this.starting = this.startClient();
    return this.starting;
  }

  private async startClient(): Promise<void> {
    const module =
      this.config.serverPath ||
      vscode.Uri.joinPath(this.extension.extensionUri, 'dist', 'server', 'server.js').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    // Rule links in diagnostics run SHOW_RULE_DOCS, registered with the other commands.
    const init: InitializationOptions = {
      workspaceTrusted: vscode.workspace.isTrusted,
      showsRuleDocs: true,
      installsLibrary: true,
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: SELECTOR,
      outputChannel: this.output,
      initializationOptions: init,
      middleware: { provideCodeActions: withSnippetPlaceholders },
    };
    const client = new LanguageClient('lipschitzLens', 'Lipschitz Lens', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Starting) this.status.update({ state: 'starting' });
      else if (e.newState === State.Stopped) this.status.update({ state: 'stopped' });
    });
    this.status.update({ state: 'starting' });
    try {
      await client.start();
      // The server sends its whole status each time: a message it no longer sends (JSON drops undefined) is gone.
      client.onNotification(note(ServerStatusNotification), (s) =>
        this.status.update({ message: undefined, ...s }),
      );
    } catch (e) {
      this.output.error(`language server failed to start: ${e instanceof Error ? e.message : String(e)}`);
      this.status.update({ state: 'error', message: 'The language server failed to start: see the output.' });
      this.client = undefined;
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    if (client) await client.stop().catch(() => undefined);
    this.status.update({ state: 'inactive' });
  }

  dispose(): void {
    void this.client?.stop();
    this.status.dispose();
    this.panel.dispose();
    this.output.dispose();
  }
}
