/**
 * A minimal LSP client for tests: forks the real server (from source through tsx) over stdio and exposes
 * promise-based waits for what the server pushes, so tests wait for events instead of sleeping.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type ClientCapabilities,
  ConfigurationRequest,
  createProtocolConnection,
  type Diagnostic,
  type InitializeResult,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageserver-protocol/node';

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export interface Harness {
  connection: ProtocolConnection;
  /**
   * initialize + initialized with `folder` as the one workspace folder; pulled configuration is always on, other
   * client capabilities and the initialization options (e.g. workspace trust) as given.
   */
  initialize(
    folder: string,
    o?: { name?: string; capabilities?: ClientCapabilities; initializationOptions?: unknown },
  ): Promise<InitializeResult>;
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the next diagnostics for `uri` that satisfy `pred`, or the latest already received. */
  diagnostics(uri: string, pred?: (d: Diagnostic[], version?: number) => boolean): Promise<Diagnostic[]>;
  progress(token: string): ProgressValue[];
  /** Resolves when a progress value of `kind` arrives for `token`. */
  progressOf(token: string, kind: ProgressValue['kind']): Promise<void>;
  /** What `workspace/configuration` answers from now on (send didChangeConfiguration to have it pulled). */
  setSettings(settings: unknown): void;
  close(): Promise<void>;
}

export function startServer(settings: unknown): Harness {
  const root = join(__dirname, '..', '..');
  // LIPSCHITZ_LENS_SERVER runs the same tests against a built entry (dist/server/server.js, bin/...).
  const built = process.env.LIPSCHITZ_LENS_SERVER;
  const child = fork(built ?? join(root, 'server/src/main.ts'), ['--stdio'], {
    execArgv: built ? [] : ['--import', 'tsx'],
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    cwd: root,
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-20000)));
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );

  const latest = new Map<string, { diagnostics: Diagnostic[]; version?: number }>();
  let waiters: Array<{
    uri: string;
    pred: (d: Diagnostic[], v?: number) => boolean;
    resolve: (d: Diagnostic[]) => void;
  }> = [];
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    latest.set(p.uri, { diagnostics: p.diagnostics, version: p.version });
    const ready = waiters.filter((w) => w.uri === p.uri && w.pred(p.diagnostics, p.version));
    waiters = waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(p.diagnostics);
  });

  const progress = new Map<string, ProgressValue[]>();
  let progressWaiters: Array<{ token: string; kind: string; resolve: () => void }> = [];
  connection.onNotification('$/progress', (p: { token: string; value: ProgressValue }) => {
    const list = progress.get(String(p.token)) ?? [];
    list.push(p.value);
    progress.set(String(p.token), list);
    const ready = progressWaiters.filter((w) => w.token === String(p.token) && w.kind === p.value.kind);
    progressWaiters = progressWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  });
  void WorkDoneProgress; // the type documents what `$/progress` carries here

  let current = settings;
  connection.onRequest(ConfigurationRequest.type, (p) => p.items.map(() => current));
  connection.onRequest(RegistrationRequest.type, () => undefined);
  connection.onNotification('window/logMessage', () => undefined);
  connection.listen();

  return {
    connection,
    child,
    async initialize(folder, o = {}) {
      const uri = pathToFileURL(folder).href;
      const result = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: uri,
        workspaceFolders: [{ uri, name: o.name ?? 'test' }],
        capabilities: {
          ...o.capabilities,
          workspace: { configuration: true, ...o.capabilities?.workspace },
        },
        ...(o.initializationOptions !== undefined ? { initializationOptions: o.initializationOptions } : {}),
      });
      await connection.sendNotification(InitializedNotification.type, {});
      return result;
    },
    stderr: () => err,
    diagnostics(uri, pred = () => true) {
      const have = latest.get(uri);
      if (have && pred(have.diagnostics, have.version)) return Promise.resolve(have.diagnostics);
      return new Promise((resolve) => waiters.push({ uri, pred, resolve }));
    },
    progress: (token) => progress.get(token) ?? [],
    setSettings(s) {
      current = s;
    },
    progressOf(token, kind) {
      if ((progress.get(token) ?? []).some((v) => v.kind === kind)) return Promise.resolve();
      return new Promise((resolve) => progressWaiters.push({ token, kind, resolve }));
    },
    async close() {
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        // already gone
      }
      connection.dispose();
      if (child.exitCode === null) child.kill();
    },
  };
}
