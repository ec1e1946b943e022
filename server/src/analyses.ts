/**
 * The latest analysis per file, for open documents (debounced as the user types) and for files a workspace lint
 * read from disk. Publishes diagnostics; hovers, code actions and audits read from here.
 */
import { promises as fs } from 'node:fs';
import { dirname, sep } from 'node:path';
import type { Connection } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LintWorkspaceResult } from '../../core/src/protocol/lsp';
import { plural } from '../../core/src/report/plural';
import { mergeFindings } from '../../core/src/rules';
import { type PublishedFindings, type RuleDocsLink, toDiagnostics } from './diagnostics';
import { Debouncer, listSourceFiles, mayHoldModels, pathToUri, uriToPath } from './documents';
import { describe } from './describe-error';
import type { FileAnalysis } from './engine';
import type { LensSettings, SettingsCache } from './settings';
import type { ThreadedEngine } from './threaded-engine';

export class AnalysisStore {
  private readonly byUri = new Map<string, FileAnalysis>();
  /** What each file shows: its own findings and those other analyses placed in it. */
  private readonly published = new Map<string, PublishedFindings>();
  private generation = 0;
  /** Per analysed uri, the files its findings sit in (itself, and files holding layers its models use). */
  private readonly targets = new Map<string, Set<string>>();
  private documentOf: (uri: string) => TextDocument | undefined = () => undefined;
  private readonly debouncer = new Debouncer();
  /** Workspace folder paths, longest first so the innermost folder wins. */
  private folders: string[] = [];

  constructor(
    private readonly connection: Connection,
    private readonly engine: ThreadedEngine,
    private readonly settings: SettingsCache,
    private readonly docsLink: RuleDocsLink,
  ) {}

  setFolders(uris: readonly string[]): void {
    this.folders = uris
      .map(uriToPath)
      .filter((p): p is string => p !== undefined)
      .sort((a, b) => b.length - a.length);
    this.engine.checkpoints.setRoots(this.folders);
  }

  /**
   * A checkpoint read in the background settled: the analyses of models linked to it were made without it (or
   * with an older copy), so they are made again and their diagnostics published.
   */
  checkpointRead(checkpoint: string): void {
    for (const [uri, a] of this.byUri) {
      if (!a.fileIr?.models.some((m) => m.checkpoint === checkpoint)) continue;
      const doc = this.documentOf(uri);
      if (doc) void this.validate(doc, false);
      else if (a.version < 0) void this.reanalyzeFromDisk(uri, a.path);
    }
  }

  private async reanalyzeFromDisk(uri: string, path: string): Promise<void> {
    try {
      const text = await fs.readFile(path, 'utf8');
      await this.analyzeAndPublish(uri, path, text, -1, await this.settings.get(uri), false);
    } catch (e) {
      this.connection.console.warn(`re-lint after a checkpoint read: ${path}: ${describe(e)}`);
    }
  }

  folderOf(path: string): string {
    return (
      this.folders.find((f) => path === f || path.startsWith(f.endsWith(sep) ? f : f + sep)) ?? dirname(path)
    );
  }

  get(uri: string): FileAnalysis | undefined {
    return this.byUri.get(uri);
  }

  /** The findings last published for a file, which its diagnostics index into. */
  shown(uri: string): PublishedFindings | undefined {
    return this.published.get(uri);
  }

  /** Open documents, so files that use a changed file are linted again. */
  setDocuments(lookup: (uri: string) => TextDocument | undefined): void {
    this.documentOf = lookup;
  }

  all(): IterableIterator<[string, FileAnalysis]> {
    return this.byUri.entries();
  }

  /** Analyses now unless an up-to-date analysis exists; hovers and code lenses must not see a stale IR. */
  async fresh(doc: TextDocument): Promise<FileAnalysis | undefined> {
    const hit = this.byUri.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    this.debouncer.cancel(doc.uri);
    return this.validate(doc, true, true);
  }

  /**
   * @param cascade whether files that use this one are linted again afterwards: true for the user's edits, false
   * for those follow-up lints themselves, so two files that use each other do not lint each other forever.
   */
  schedule(doc: TextDocument, getDoc: () => TextDocument | undefined, cascade = true): void {
    void this.settings.get(doc.uri).then((s) => {
      this.debouncer.schedule(doc.uri, s.lintDelayMs, () => {
        const current = getDoc();
        if (current) void this.validate(current, cascade);
      });
    });
  }

  /** @param urgent a request waits for it (a hover): it goes before other files' lints. */
  async validate(doc: TextDocument, cascade = true, urgent = false): Promise<FileAnalysis | undefined> {
    const path = uriToPath(doc.uri);
    if (!path) return undefined;
    const settings = await this.settings.get(doc.uri);
    return this.analyzeAndPublish(doc.uri, path, doc.getText(), doc.version, settings, cascade, urgent);
  }

  close(uri: string): void {
    this.debouncer.cancel(uri);
    const path = uriToPath(uri);
    // Back to the disk copy: unsaved edits of a closed document must not shape other files' models.
    if (path) this.engine.remove(path);
    this.byUri.delete(uri);
    const placed = this.targets.get(uri) ?? new Set<string>();
    this.targets.delete(uri);
    if (path) placed.add(path);
    for (const p of placed) this.publish(p);
    // Files that read the closed document's unsaved text now read the disk copy.
    if (path) this.relintReaders(path);
  }

  /** Lints again the open files whose last analysis read `path` with another text than it has now. */
  private relintReaders(path: string): void {
    const now = this.engine.textOf(path);
    for (const [u, a] of this.byUri) {
      const seen = a.reads.get(path);
      if (seen === undefined || seen === now) continue;
      const doc = this.documentOf(u);
      if (doc) this.schedule(doc, () => this.documentOf(u), false);
    }
  }

  /**
   * Publishes one file's diagnostics: its own analysis' findings, plus those that analyses of other files placed
   * in it, one per rule and position (the most severe).
   */
  private publish(path: string): void {
    const uri = pathToUri(path);
    const own = this.byUri.get(uri);
    const runs: FileAnalysis['findings'][] = [];
    // Another file's findings here count only while this file has the text they were computed against: after
    // an edit here they wait for that file's next lint instead of pointing at moved lines.
    const text = this.engine.textOf(path);
    for (const [u, a] of this.byUri)
      if (u === uri || (this.targets.get(u)?.has(path) && a.reads.get(path) === text)) runs.push(a.findings);
    const published: PublishedFindings = {
      generation: ++this.generation,
      findings: mergeFindings(path, runs),
    };
    this.published.set(uri, published);
    const diagnostics = toDiagnostics(published, own, this.docsLink);
    const version = own && own.version >= 0 ? own.version : undefined;
    void this.connection.sendDiagnostics({ uri, version, diagnostics });
  }

  private async analyzeAndPublish(
    uri: string,
    path: string,
    text: string,
    version: number,
    settings: LensSettings,
    cascade = true,
    urgent = false,
  ): Promise<FileAnalysis | undefined> {
    if (!settings.enable) {
      this.close(uri);
      return undefined;
    }
    const started = Date.now();
    const analysis = await this.engine.analyze(
      path,
      text,
      version,
      { rules: settings.rules, maxBytes: settings.maxFileSizeMB * 1024 * 1024 },
      urgent,
    );
    // The analysis ran on the analysis thread while requests went on: the document may have closed, a newer
    // text's result may be published already (callers of a superseded text share it), or a newer one may be.
    if (version >= 0 && !this.documentOf(uri)) return undefined;
    const shown = this.byUri.get(uri);
    if (shown === analysis || (shown && analysis.version >= 0 && shown.version > analysis.version))
      return shown;
    this.byUri.set(uri, analysis);
    const before = this.targets.get(uri) ?? new Set<string>();
    const now = new Set(analysis.findings.map((f) => f.range.file));
    now.add(path);
    this.targets.set(uri, now);
    for (const p of new Set([...before, ...now])) this.publish(p);
    this.connection.console.log(
      `linted ${path} v${version}: ${plural(analysis.findings.length, 'finding')} in ${Date.now() - started} ms`,
    );
    // Files whose models use this one were analysed against its old text: lint them again.
    if (cascade) this.relintReaders(path);
    return analysis;
  }

  /**
   * Lints every TS/JS file below the workspace folders that is not open (open ones are live already).
   * Yields between files so hovers and typing stay responsive during a long run.
   */
  async lintWorkspace(
    folderUris: readonly string[] | undefined,
    isOpen: (uri: string) => boolean,
    onFile: (done: number, total: number) => void,
    cancelled: () => boolean,
  ): Promise<LintWorkspaceResult> {
    const started = Date.now();
    const roots = folderUris?.map(uriToPath).filter((p): p is string => p !== undefined) ?? this.folders;
    const files = (await Promise.all(roots.map((r) => listSourceFiles(r)))).flat();
    let findings = 0;
    let skipped = 0;
    let linted = 0;
    for (const [i, path] of files.entries()) {
      if (cancelled()) break;
      onFile(i, files.length);
      const uri = pathToUri(path);
      if (isOpen(uri)) {
        findings += this.byUri.get(uri)?.findings.length ?? 0;
        linted++;
        continue;
      }
      try {
        const settings = await this.settings.get(uri);
        const stat = await fs.stat(path);
        if (stat.size > settings.maxFileSizeMB * 1024 * 1024) {
          skipped++;
          continue;
        }
        const text = await fs.readFile(path, 'utf8');
        if (!mayHoldModels(text)) continue;
        const analysis = await this.analyzeAndPublish(uri, path, text, -1, settings);
        findings += analysis?.findings.length ?? 0;
        linted++;
      } catch (e) {
        skipped++;
        this.connection.console.warn(`workspace lint: ${path}: ${describe(e)}`);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { files: linted, findings, skipped, elapsedMs: Date.now() - started };
  }

  dispose(): void {
    this.debouncer.dispose();
  }
}
