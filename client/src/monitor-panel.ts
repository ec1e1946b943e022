/**
 * The Training monitor view: watches the workspace's run files (the `lipschitzLens.monitor.runFiles` glob, each
 * file checked by its first bytes before it is read whole), reads each as it grows (debounced, only the appended
 * bytes), shows the chosen runs side by side in a webview like the report panel's, tells the user once per run,
 * block and quantity when a threshold is crossed, and reveals a block's source on request. Reading run files is
 * reading data, not running code, so it works in Restricted Mode; it reads only files inside the workspace.
 */
import { open, stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { parseRunFile, type RunFile, type RunHeader } from '../../core/src/monitor/run-file';
import type { ModelSummary } from '../../core/src/protocol/lsp';
import {
  type RunText,
  type ToWebview,
  type WebviewRange,
  type WebviewState,
} from '../../core/src/protocol/webview';
import { checkedMessage, loadPage, webviewOptions } from './webview-page';
import { blockNameRange } from './block-source';
import type { Config } from './config';
import {
  type Crossing,
  CrossingLedger,
  crossingMessage,
  failureNotice,
  Debouncer,
  effectiveThresholds,
  firstCrossings,
  GrowingFile,
  isRunFileStart,
  mayBeRunFile,
  PEEK_BYTES,
} from './run-watch';

export const MONITOR_VIEW_TYPE = 'lipschitzLens.monitor';

/** The run files a restored panel showed: file URIs inside the workspace only (the state is the page's). */
function restoredRuns(state: unknown): string[] {
  const runs = (state as WebviewState | undefined)?.runs;
  if (!Array.isArray(runs)) return [];
  return runs.filter((r): r is string => {
    if (typeof r !== 'string') return false;
    try {
      const uri = vscode.Uri.parse(r, true);
      return uri.scheme === 'file' && vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    } catch {
      return false;
    }
  });
}
/** A training loop appends a line per measurement; a burst of writes is read once this long after the last. */
const DEBOUNCE_MS = 300;
/** Files the startup scan looks at (first bytes only); more run files than this are found as they change. */
const SCAN_LIMIT = 2000;
/** The debouncer's key for "search the glob again" (file keys are URIs, which never look like this). */
const RESCAN = 'rescan';
const POLL_MS = 1000;
const POLL_IDLE_MS = 5 * 60_000;
const SOURCE_FILES = '**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}';

interface WatchedRun {
  uri: vscode.Uri;
  /**
   * The bytes read so far, kept while the run is shown or being written; a run found by the startup scan and
   * not shown keeps only its header, so a workspace of old runs does not sit in memory.
   */
  file?: GrowingFile;
  /** The last successful parse, kept with `file`; undefined while the page shows why it cannot be read. */
  run?: RunFile;
  /** The header of the last successful parse: what the run picker and reveal need. */
  header?: RunHeader;
}

async function readRange(path: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, to - from));
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await handle.read(buf, done, buf.length - done, from + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } finally {
    await handle.close();
  }
}

export class TrainingMonitorView implements vscode.Disposable {
  private readonly runs = new Map<string, WatchedRun>();
  private readonly ledger = new CrossingLedger();
  private readonly debouncer = new Debouncer<string>(DEBOUNCE_MS, (key) => {
    if (key === RESCAN) this.scan = this.scanWorkspace(this.config.monitorRunFiles, true);
    else void this.refresh(vscode.Uri.parse(key), true);
  });
  private watchers: vscode.FileSystemWatcher[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  /** Ids (file URIs) of the runs the page shows, in column order. */
  private shown: string[] = [];
  private scan: Promise<void> | undefined;
  /** Runs being written, read on a timer too: their size at the last read and when it last grew. */
  private readonly polls = new Map<
    string,
    { size: number; grew: number; timer: ReturnType<typeof setInterval> }
  >();
  /** Files being read for the first time. */
  private readonly opening = new Map<string, Promise<WatchedRun | undefined>>();
  /** Files over the size limit, logged once each. */
  private readonly tooLarge = new Set<string>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly config: Config,
    /** The models the language server has seen; undefined when it is not running. */
    private readonly listModels: () => Promise<ModelSummary[] | undefined>,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('lipschitzLens.monitor.runFiles')) this.rewatch();
        else if (e.affectsConfiguration('lipschitzLens.monitor')) this.post();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rewatch()),
      // After a reload VS Code reopens the panel with the state the page saved: the runs it showed.
      vscode.window.registerWebviewPanelSerializer(MONITOR_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          this.attach(panel);
          await this.show(restoredRuns(state));
        },
      }),
    );
    this.rewatch();
  }

  /** Watches the glob in each workspace folder (a RelativePattern: nothing outside the workspace) and scans. */
  private rewatch(): void {
    for (const w of this.watchers) w.dispose();
    const glob = this.config.monitorRunFiles;
    this.watchers = (vscode.workspace.workspaceFolders ?? []).flatMap((folder) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob));
      const changed = (uri: vscode.Uri): void => this.debouncer.trigger(uri.toString());
      w.onDidCreate(changed);
      w.onDidChange(changed);
      w.onDidDelete((uri) => this.remove(uri.toString()));
      // A run file in folders created at once (TrainingMonitor's mkdir -p .lipschitz-lens/runs) can escape the
      // watcher: the file system watcher may miss events under a folder it has not started watching yet (seen
      // in code-server). A new folder, then, has the glob searched again, its new runs read as live.
      const folders = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(folder, '**'),
        false,
        true,
        true,
      );
      folders.onDidCreate(async (uri) => {
        if (uri.path.includes('/node_modules/')) return;
        const type = await vscode.workspace.fs.stat(uri).then(
          (st) => st.type,
          () => vscode.FileType.Unknown,
        );
        if (type & vscode.FileType.Directory) this.debouncer.trigger(RESCAN);
      });
      return [w, folders];
    });
    this.scan = this.scanWorkspace(glob, false);
  }

  /**
   * Runs that exist already: read silently at the start (their past crossings are not news), found by their first
   * bytes; `live` for a search after new folders appeared, whose new runs are being written.
   */
  private async scanWorkspace(glob: string, live: boolean): Promise<void> {
    const t0 = Date.now();
    const found = await vscode.workspace.findFiles(glob, '**/node_modules/**', SCAN_LIMIT);
    // Known runs are read on their own changes (or polls): only new files matter here.
    for (const uri of found) if (!this.runs.has(uri.toString())) await this.refresh(uri, live);
    this.log.info(
      `training monitor: ${this.runs.size} run file(s) among ${found.length} file(s) matching ${glob} (${Date.now() - t0} ms)`,
    );
  }

  /** Reads what is new in a file that may be a run; `live`: crossings found now are news and are told. */
  private async refresh(uri: vscode.Uri, live: boolean): Promise<void> {
    if (uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(uri)) return;
    const key = uri.toString();
    try {
      const limit = this.config.monitorMaxFileSizeMB * 1024 * 1024;
      const { size } = await stat(uri.fsPath);
      if (size > limit) {
        if (!this.tooLarge.has(key))
          this.log.info(
            `training monitor: not reading ${uri.fsPath} (over lipschitzLens.monitor.maxFileSizeMB)`,
          );
        this.tooLarge.add(key);
        return;
      }
      let entry = this.runs.get(key) ?? (await this.opening.get(key));
      if (!entry?.file) {
        // Marked while it is read, so a change event meanwhile waits for it instead of opening it twice.
        const opened = this.open(uri, size);
        this.opening.set(key, opened);
        entry = await opened.finally(() => this.opening.delete(key));
        if (!entry) return;
        if (live && !this.runs.has(key)) this.log.info(`training monitor: a new run, ${uri.fsPath}`);
        this.runs.set(key, entry);
        if (live && this.panel && this.shown.length === 0) this.shown = [key];
      } else {
        const read = await entry.file.sync(
          async () => Math.min((await stat(uri.fsPath)).size, limit),
          (from, to) => readRange(uri.fsPath, from, to),
        );
        if (read === 'unchanged') {
          if (live) this.poll(key, entry);
          return;
        }
        if (read === 'replaced') this.ledger.forget(key);
      }
      this.parse(key, entry, live);
      if (live) this.poll(key, entry);
      if (!live && !this.shown.includes(key)) {
        entry.file = undefined;
        entry.run = undefined;
      }
    } catch (e) {
      // Deleted between the event and the read, or unreadable: it is not a run we can show.
      this.log.debug(`training monitor: cannot read ${uri.fsPath}: ${e instanceof Error ? e.message : e}`);
      this.remove(key);
      return;
    }
    if (this.shown.includes(key)) this.post();
  }

  /** A file not seen before: its first bytes, then (a run) all of it; undefined when it is not a run (yet). */
  private async open(uri: vscode.Uri, size: number): Promise<WatchedRun | undefined> {
    if (!mayBeRunFile((await readRange(uri.fsPath, 0, Math.min(size, PEEK_BYTES))).toString('utf8')))
      return undefined;
    const bytes = await readRange(uri.fsPath, 0, size);
    // A header still being written: the file's next change asks again.
    return isRunFileStart(bytes.toString('utf8')) ? { uri, file: new GrowingFile(bytes) } : undefined;
  }

  /**
   * A run being written is also read every POLL_MS: the watcher may miss changes under a folder it started
   * watching late (see rewatch). Polling stops at the run's end line, or after POLL_IDLE_MS without growth (a
   * training that died without ending); a change event starts it again.
   */
  private poll(key: string, entry: WatchedRun): void {
    const last = this.polls.get(key);
    if (last) clearInterval(last.timer);
    if (entry.run?.end) {
      this.polls.delete(key);
      return;
    }
    const size = entry.file?.size ?? 0;
    const grew = last === undefined || last.size !== size ? Date.now() : last.grew;
    if (Date.now() - grew > POLL_IDLE_MS) {
      this.polls.delete(key);
      return;
    }
    this.polls.set(key, { size, grew, timer: setInterval(() => this.debouncer.trigger(key), POLL_MS) });
  }

  private parse(key: string, entry: WatchedRun, live: boolean): void {
    try {
      entry.run = parseRunFile(entry.file!.text());
      entry.header = entry.run.header;
    } catch {
      // The page shows why (a newer version, a broken line); there is nothing to alert on.
      entry.run = undefined;
      return;
    }
    const crossings = firstCrossings(entry.run, this.thresholds(entry.run));
    const failure = failureNotice(entry.run);
    const failures = failure ? [failure] : [];
    if (!live || !this.config.monitorNotify) this.ledger.seen(key, [...crossings, ...failures]);
    else {
      for (const c of this.ledger.fresh(key, crossings)) this.notify(key, c);
      for (const f of this.ledger.fresh(key, failures)) this.notifyFailure(key, f.message);
    }
  }

  private notifyFailure(key: string, message: string): void {
    const openMonitor = 'Open monitor';
    this.log.warn(message);
    void vscode.window.showWarningMessage(`Lipschitz Lens: ${message}`, openMonitor).then((pick) => {
      if (pick === openMonitor) void this.show([...this.shown.filter((id) => id !== key), key]);
    });
  }

  private thresholds(run: RunFile): ReturnType<typeof effectiveThresholds> {
    return effectiveThresholds(run, this.config.monitorThresholds);
  }

  private notify(key: string, c: Crossing): void {
    const openMonitor = 'Open monitor';
    const goTo = c.quantity === 'inverse' ? 'Go to block' : 'Go to model';
    this.log.warn(`training monitor: ${crossingMessage(c)}`);
    void vscode.window
      .showWarningMessage(`Lipschitz Lens: ${crossingMessage(c)}`, openMonitor, goTo)
      .then((pick) => {
        if (pick === openMonitor) void this.show([...this.shown.filter((id) => id !== key), key]);
        else if (pick === goTo) void this.revealBlock(key, c.quantity === 'inverse' ? c.block : undefined);
      });
  }

  private remove(key: string): void {
    clearInterval(this.polls.get(key)?.timer);
    this.polls.delete(key);
    this.runs.delete(key);
    this.ledger.forget(key);
    if (this.shown.includes(key)) {
      this.shown = this.shown.filter((id) => id !== key);
      this.post();
    }
  }

  /** The command: pick runs to compare (the newest preselected), then show them. */
  async pickAndShow(): Promise<void> {
    await this.scan;
    const entries = [...this.runs.values()].sort((a, b) =>
      (b.header?.startedAt ?? '').localeCompare(a.header?.startedAt ?? ''),
    );
    if (entries.length === 0) {
      void vscode.window.showInformationMessage(
        `Lipschitz Lens: no training run files in the workspace (looked for ${this.config.monitorRunFiles}; TrainingMonitor writes .lipschitz-lens/runs/*.jsonl).`,
      );
      return;
    }
    const items = entries.map((e, i) => ({
      label: e.header?.model ?? vscode.workspace.asRelativePath(e.uri),
      description: e.header ? `started ${e.header.startedAt}` : 'cannot be read yet',
      detail: vscode.workspace.asRelativePath(e.uri),
      picked: this.shown.length > 0 ? this.shown.includes(e.uri.toString()) : i === 0,
      key: e.uri.toString(),
    }));
    const picks = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      // A notification arriving from a run being written must not close the pick.
      ignoreFocusOut: true,
      title: 'Training runs to show side by side',
    });
    if (picks && picks.length > 0) await this.show(picks.map((p) => p.key));
  }

  async show(keys: string[]): Promise<void> {
    this.shown = keys;
    // Runs the scan released are read again (whole) now that they are shown.
    await Promise.all(
      keys.map((key) => {
        const e = this.runs.get(key);
        return e && !e.file ? this.refresh(e.uri, false) : undefined;
      }),
    );
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(
        MONITOR_VIEW_TYPE,
        'Training monitor',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        webviewOptions(this.extensionUri),
      );
      this.attach(panel);
    } else this.panel.reveal(undefined, true);
    this.post();
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    loadPage(panel, this.extensionUri);
    panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
  }

  /** Sends the shown runs as read so far; before the page says `ready` it would be lost, and `ready` sends it. */
  private post(): void {
    if (!this.panel || !this.ready) return;
    const runs: RunText[] = this.shown.flatMap((key) => {
      const e = this.runs.get(key);
      if (!e?.file) return [];
      return [
        {
          id: key,
          label: vscode.workspace.asRelativePath(e.uri),
          text: e.file.text(),
          ...(e.run ? { thresholds: this.thresholds(e.run) } : {}),
        },
      ];
    });
    const message: ToWebview =
      runs.length > 0
        ? { type: 'runs', runs }
        : { type: 'clear', message: 'No training run shown: run "Lipschitz Lens: Show Training Monitor".' };
    void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const m = checkedMessage(raw, this.log, 'monitor');
    if (!m) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post();
        return;
      case 'reveal-block':
        return this.revealBlock(m.run, m.block);
      default:
        // The run page sends neither source ranges nor export requests.
        this.log.warn(`ignored a ${m.type} message from the monitor webview`);
    }
  }

  /**
   * Opens the source that sets `block`'s name (a layer config `name: 'coupling_3'`), searching first the files
   * of the models the server knows by the run's model name, then the rest it has seen, then the workspace's
   * sources; without a block (or when no source spells its name), the model's definition.
   */
  async revealBlock(key: string, block: string | undefined): Promise<void> {
    const header = this.runs.get(key)?.header;
    if (!header) {
      void vscode.window.showWarningMessage('Lipschitz Lens: that run file cannot be read now.');
      return;
    }
    const modelName = header.model;
    const models = (await this.listModels()) ?? [];
    const named = models.filter((m) => m.name === modelName);
    if (block !== undefined) {
      const found = await this.findBlock(
        block,
        [...named, ...models].map((m) => m.uri),
      );
      if (found) return this.showRange(found.uri, found.range);
    }
    const model = named[0];
    if (model) {
      if (block !== undefined)
        void vscode.window.showInformationMessage(
          `Lipschitz Lens: no source sets the name '${block}'; showing model ${modelName}.`,
        );
      return this.showRange(vscode.Uri.parse(model.uri), model.range);
    }
    void vscode.window.showWarningMessage(
      block === undefined
        ? `Lipschitz Lens: could not find model ${modelName} in the workspace (the language server finds models in the files it lints).`
        : `Lipschitz Lens: could not find where block '${block}' of ${modelName} is named in the workspace's sources.`,
    );
  }

  /** Files are read, not opened as documents: opening hundreds would have the language server lint each. */
  private async findBlock(
    block: string,
    first: string[],
  ): Promise<{ uri: vscode.Uri; range: WebviewRange } | undefined> {
    const seen = new Set<string>();
    const search = async (
      uris: vscode.Uri[],
    ): Promise<{ uri: vscode.Uri; range: WebviewRange } | undefined> => {
      for (const uri of uris) {
        if (seen.has(uri.toString())) continue;
        seen.add(uri.toString());
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        const text =
          open?.getText() ??
          (await vscode.workspace.fs.readFile(uri).then(
            (b) => new TextDecoder().decode(b),
            () => '',
          ));
        const range = blockNameRange(text, block);
        if (range) return { uri, range };
      }
      return undefined;
    };
    return (
      (await search(first.map((u) => vscode.Uri.parse(u)))) ??
      (await search(await vscode.workspace.findFiles(SOURCE_FILES, '**/node_modules/**', SCAN_LIMIT)))
    );
  }

  private async showRange(uri: vscode.Uri, r: WebviewRange): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
    await vscode.window.showTextDocument(doc, {
      selection: range,
      viewColumn: vscode.ViewColumn.One,
      preserveFocus: false,
    });
  }

  dispose(): void {
    for (const p of this.polls.values()) clearInterval(p.timer);
    this.debouncer.dispose();
    for (const w of this.watchers) w.dispose();
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
