/** Wiring only: LSP handlers -> the store, hovers, code actions and audits. */
import {
  CodeActionKind,
  type CodeLens,
  CodeLensRefreshRequest,
  type Connection,
  DidChangeConfigurationNotification,
  type InitializeResult,
  RequestType,
  NotificationType,
  TextDocumentSyncKind,
  TextDocuments,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  AuditRequest,
  type AuditParams,
  type InitializationOptions,
  LastReportRequest,
  LintWorkspaceRequest,
  ListModelsRequest,
  NEEDS_SETUP,
  NEEDS_SETUP_TEXT,
  type NotificationSpec,
  type RequestSpec,
  type ServerStatusParams,
  ServerStatusNotification,
  TrustNotification,
} from '../../core/src/protocol/lsp';
import { reportVerdict, verdictText } from '../../core/src/protocol/webview';
import { findDocsRoot } from '../../core/src/rules/rule-docs';
import { AnalysisStore } from './analyses';
import { type AuditTarget, AuditService, summarize } from './audit';
import { codeActions, FIX_ALL_KIND } from './code-actions';
import { auditLenses } from './code-lens';
import { ruleDocsLink } from './diagnostics';
import { uriToPath } from './documents';
import { findingsOn, hoverMarkdown, modelAt, nodeAt } from './hover';
import { addInputShapeAction } from './input-shape-fix';
import { SettingsCache } from './settings';
import { ThreadedEngine } from './threaded-engine';

function req<P, R>(spec: RequestSpec<P, R>): RequestType<P, R, void> {
  return new RequestType<P, R, void>(spec.method);
}
function note<P>(spec: NotificationSpec<P>): NotificationType<P> {
  return new NotificationType<P>(spec.method);
}

function isInitOptions(v: unknown): v is InitializationOptions {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<string, unknown>).workspaceTrusted === 'boolean'
  );
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const log = (level: 'error' | 'warn' | 'info', message: string): void => connection.console[level](message);
  // Analyses run on a worker thread: a large file's lint must not hold up hovers and other documents.
  const engine = new ThreadedEngine(log);
  let settings = new SettingsCache(undefined);
  const store = (): AnalysisStore => analyses;
  // The docs ship beside the server (`dist/server/` in the .vsix, `server/src/` in the checkout).
  const docsRoot = findDocsRoot(__dirname);
  // Until the client says it can (initializationOptions), a fix needing the library is a plain edit.
  let installsLibrary = false;
  let analyses = new AnalysisStore(connection, engine, settings, ruleDocsLink(docsRoot, false));
  engine.checkpoints.onSettled((path) => store().checkpointRead(path));
  // Untrusted until the client says otherwise: a client that says nothing (a plain LSP client) gets lint only.
  const audits = new AuditService(false, log);
  let canRefreshLenses = false;
  let status: ServerStatusParams = { state: 'starting' };
  const setStatus = (patch: Partial<ServerStatusParams>): void => {
    status = { ...status, ...patch };
    void connection.sendNotification(note(ServerStatusNotification), status);
  };

  connection.onInitialize((params): InitializeResult => {
    const canPull = params.capabilities.workspace?.configuration === true;
    canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    settings = new SettingsCache(
      canPull
        ? (uri) => connection.workspace.getConfiguration({ scopeUri: uri, section: 'lipschitzLens' })
        : undefined,
      (message) => log('warn', message),
    );
    const init = isInitOptions(params.initializationOptions) ? params.initializationOptions : undefined;
    analyses = new AnalysisStore(
      connection,
      engine,
      settings,
      ruleDocsLink(docsRoot, init?.showsRuleDocs === true),
    );
    analyses.setDocuments((uri) => documents.get(uri));
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    analyses.setFolders(folders);
    if (init) audits.setTrusted(init.workspaceTrusted);
    installsLibrary = init?.installsLibrary === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: {
          codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND],
          resolveProvider: false,
        },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'lipschitz-lens', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    void connection.client
      .register(DidChangeConfigurationNotification.type, { section: 'lipschitzLens' })
      .catch(() => {
        // Clients without dynamic registration still send the notification; nothing to do.
      });
    setStatus({ state: 'ready' });
  });

  connection.onDidChangeConfiguration(() => {
    settings.clear();
    for (const doc of documents.all()) void store().validate(doc);
  });

  documents.onDidOpen((e) => void store().validate(e.document));
  documents.onDidChangeContent((e) => {
    // didOpen also fires a content change; the open handler has it covered.
    if (e.document.version > 1) store().schedule(e.document, () => documents.get(e.document.uri));
  });
  documents.onDidClose((e) => {
    store().close(e.document.uri);
    settings.forget(e.document.uri);
  });

  connection.onHover(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    const analysis = doc ? await store().fresh(doc) : store().get(params.textDocument.uri);
    if (!analysis?.fileIr) return null;
    const hit = nodeAt(analysis.fileIr, params.position);
    if (!hit) return null;
    const report = hit.model ? audits.reportFor(analysis.path, hit.model.name) : undefined;
    const shown = store().shown(params.textDocument.uri)?.findings ?? [];
    const findings = findingsOn(analysis.fileIr, hit.node, shown);
    return {
      contents: hoverMarkdown(hit.node, analysis.bounds, report, hit.model, findings),
      range: hit.node.range,
    };
  });

  connection.onCodeAction(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    const actions = codeActions(params, store().shown(params.textDocument.uri), {
      installsLibrary,
      version: doc?.version,
    });
    const only = params.context.only;
    if (!doc || (only && !only.some((k) => CodeActionKind.QuickFix.startsWith(k)))) return actions;
    const analysis = await store().fresh(doc);
    const model = analysis?.fileIr ? modelAt(analysis.fileIr, params.range.start) : undefined;
    // Offered where the last audit of this model stopped for want of its input shape, until the tag is there.
    if (
      analysis &&
      model &&
      model.inputShape === undefined &&
      // A tag already there (the placeholder not filled in) is fixed by typing in it, not by a second tag.
      model.inputShapeError === undefined &&
      audits.lastOutcome(analysis.path, model.name)?.configuration?.kind === 'input-shape'
    )
      actions.push(addInputShapeAction(doc.uri, model, doc.getText().split('\n')));
    return actions;
  });

  connection.onCodeLens(async (params): Promise<CodeLens[]> => {
    const doc = documents.get(params.textDocument.uri);
    const analysis = doc ? await store().fresh(doc) : undefined;
    return auditLenses(params.textDocument.uri, analysis?.fileIr?.models ?? [], audits.isTrusted());
  });

  connection.onRequest(req(LintWorkspaceRequest), async (params, token) => {
    const progress = await connection.window.attachWorkDoneProgress(params.workDoneToken);
    progress.begin('Lipschitz Lens: linting the workspace', 0, undefined, true);
    setStatus({ state: 'linting' });
    try {
      return await store().lintWorkspace(
        params.folders,
        (uri) => documents.get(uri) !== undefined,
        (done, total) =>
          progress.report(Math.round((done / Math.max(1, total)) * 100), `${done}/${total} files`),
        () => token.isCancellationRequested,
      );
    } finally {
      progress.done();
      setStatus({ state: 'ready' });
    }
  });

  connection.onRequest(req(AuditRequest), async (params, token) => {
    const progress: WorkDoneProgressReporter = await connection.window.attachWorkDoneProgress(
      params.workDoneToken,
    );
    const targets = await auditTargets(params);
    setStatus({ state: 'auditing' });
    try {
      const result = await audits.audit(targets, progress, token);
      const last = [...result.outcomes].reverse().find((o) => o.report || o.configuration);
      // A missing setting is a step for the user, not a failed model: its own status word and the message.
      if (last?.configuration)
        setStatus({
          lastVerdict: NEEDS_SETUP,
          lastVerdictText: NEEDS_SETUP_TEXT[last.configuration.kind],
          message: last.configuration.message,
        });
      else if (last?.report)
        setStatus({
          backend: last.report.backend?.name,
          lastVerdict: reportVerdict(last.report),
          lastVerdictText: verdictText(last.report),
          message: undefined,
        });
      return result;
    } finally {
      setStatus({ state: 'ready' });
    }
  });

  connection.onRequest(req(LastReportRequest), (params) => {
    const path = params.uri ? uriToPath(params.uri) : undefined;
    const model =
      params.modelId && params.uri
        ? store()
            .get(params.uri)
            ?.fileIr?.models.find((m) => m.id === params.modelId)
        : undefined;
    return { outcome: audits.lastOutcome(path, model?.name) ?? null };
  });

  connection.onRequest(req(ListModelsRequest), async (params) => {
    if (params.uri) {
      const doc = documents.get(params.uri);
      const a = doc ? await store().fresh(doc) : store().get(params.uri);
      return a?.fileIr ? a.fileIr.models.map((m) => summarize(a.path, m)) : [];
    }
    return [...store().all()].flatMap(([, a]) => (a.fileIr?.models ?? []).map((m) => summarize(a.path, m)));
  });

  connection.onNotification(note(TrustNotification), (params) => {
    const trusted = params.trusted === true;
    if (trusted === audits.isTrusted()) return;
    audits.setTrusted(trusted);
    log('info', `workspace trust: ${trusted ? 'trusted' : 'untrusted'}`);
    // Restricted settings (checkpoints, backend, probe options) now read differently: pull them again.
    settings.clear();
    // The lenses' titles depend on trust: have the client ask for them again, no reload needed.
    if (canRefreshLenses) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  });

  async function auditTargets(params: AuditParams): Promise<AuditTarget[]> {
    const uris =
      params.scope === 'workspace' ? [...store().all()].map(([u]) => u) : params.uri ? [params.uri] : [];
    const targets: AuditTarget[] = [];
    for (const uri of uris) {
      const doc = documents.get(uri);
      const analysis = doc ? await store().fresh(doc) : store().get(uri);
      if (!analysis?.fileIr) continue;
      const fileSettings = await settings.get(uri);
      let models = analysis.fileIr.models;
      if (params.scope === 'model') {
        const picked = params.modelId
          ? models.find((m) => m.id === params.modelId)
          : params.position
            ? (modelAt(analysis.fileIr, params.position) ?? models[0])
            : models[0];
        models = picked ? [picked] : [];
      }
      for (const model of models)
        targets.push({
          path: analysis.path,
          model,
          settings: fileSettings,
          folder: store().folderOf(analysis.path),
          bounds: analysis.bounds,
          findings: analysis.findings,
          customLayers: analysis.fileIr.customLayers,
        });
    }
    return targets;
  }

  documents.listen(connection);
  // Stop every audit's worker: a probe worker must not outlive the server. runAudit also SIGKILLs its worker when
  // this process exits, which is what stops a worker stuck in the model's code when `exit` follows at once.
  connection.onShutdown(() => {
    audits.dispose();
    store().dispose();
    engine.dispose();
  });
  connection.onExit(() => audits.dispose());
  connection.listen();
}
