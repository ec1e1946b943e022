/**
 * The custom LSP messages between the extension client and the language server, declared once so both sides
 * agree on method names and payloads. Plain JSON only. Types here are shared with the webview's type check, so
 * this file imports nothing at run time: `RequestType`s are built by the client and server from these specs.
 */
import type { ConfigurationKind, Report, ReportIntentKind } from '../report/schema';
import type { StaticBlockBound } from './webview';

/** A method name with its parameter and result types attached, for `typed*` helpers on each side. */
export interface RequestSpec<P, R> {
  readonly method: string;
  /** Never set: carries the types. */
  readonly _types?: { params: P; result: R };
}

export interface NotificationSpec<P> {
  readonly method: string;
  readonly _types?: { params: P };
}

function request<P, R>(method: string): RequestSpec<P, R> {
  return { method };
}
function notification<P>(method: string): NotificationSpec<P> {
  return { method };
}

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** What the client tells the server at start (LSP `initializationOptions`). */
export interface InitializationOptions {
  workspaceTrusted: boolean;
  /** The client runs `lipschitzLens.showRuleDocs` (SHOW_RULE_DOCS), so rule links can be that command. */
  showsRuleDocs?: boolean;
  /** The client runs ADD_LIBRARY_COMMAND, so a fix needing the library can install it first. */
  installsLibrary?: boolean;
}

/** A model the server found, enough for the client to list, pick and label it. */
export interface ModelSummary {
  /** Stable within a file: the IR's model id. */
  id: string;
  name: string;
  uri: string;
  range: LspRange;
  /** The linter's intent (core/src/ir/model-ir.ts), the same that decides the audit's probes and verdict. */
  intent: ReportIntentKind;
}

/** `$/progress` token the client created; the server reports work done progress on it. */
export interface WorkDoneParams {
  workDoneToken?: string | number;
}

export interface LintWorkspaceParams extends WorkDoneParams {
  /** Limit to these folders (URIs); all workspace folders when absent. */
  folders?: string[];
}
export interface LintWorkspaceResult {
  files: number;
  findings: number;
  /** Files skipped for size or read errors. */
  skipped: number;
  elapsedMs: number;
}

export type AuditScope = 'model' | 'file' | 'workspace';

export interface AuditParams extends WorkDoneParams {
  scope: AuditScope;
  /** The file for `model` and `file` scopes. */
  uri?: string;
  /** Pick the model by id; else by `position` (the model enclosing it, or the first in the file). */
  modelId?: string;
  position?: LspPosition;
}

/**
 * The audit could not start for want of a setting the user gives (the model was never run): shown as a step to
 * take, never as a failed or unstable model. `input-shape` comes with the quick fix "Add @inputShape" on the model.
 */
export interface ConfigurationProblem {
  kind: ConfigurationKind;
  /** What to do, in the editor's terms. */
  message: string;
}

/** One model's audit: a report, or why there is none. */
export interface AuditOutcome {
  model: ModelSummary;
  report?: Report;
  /** The model's top-level blocks with static bounds, for the report panel. */
  staticBounds?: StaticBlockBound[];
  error?: string;
  /** Set (with `error`) when the audit needs configuration rather than the model having failed. */
  configuration?: ConfigurationProblem;
  cancelled?: boolean;
}

export interface AuditResult {
  outcomes: AuditOutcome[];
}

export interface LastReportParams {
  /** When absent, the most recent report of any model. */
  modelId?: string;
  uri?: string;
}
export interface LastReportResult {
  outcome: AuditOutcome | null;
}

export interface ListModelsParams {
  /** One file, or every file the server has seen when absent. */
  uri?: string;
}

export interface TrustParams {
  trusted: boolean;
}

export type ServerState = 'starting' | 'ready' | 'linting' | 'auditing' | 'error';

/** Sent by the server when something the status bar shows changes. */
export interface ServerStatusParams {
  state: ServerState;
  /** Backend of the last audit, as the worker reported it. */
  backend?: string;
  /** One word (`Verdict`, or `needs-setup` for a configuration problem), for the item's colour. */
  lastVerdict?: string;
  /** The verdict as a phrase that says what was judged: "architecture looks stable (fresh weights)". */
  lastVerdictText?: string;
  message?: string;
}

export const LintWorkspaceRequest = request<LintWorkspaceParams, LintWorkspaceResult>(
  'lipschitzLens/lintWorkspace',
);
export const AuditRequest = request<AuditParams, AuditResult>('lipschitzLens/audit');
export const LastReportRequest = request<LastReportParams, LastReportResult>('lipschitzLens/lastReport');
export const ListModelsRequest = request<ListModelsParams, ModelSummary[]>('lipschitzLens/listModels');
export const TrustNotification = notification<TrustParams>('lipschitzLens/setTrust');
export const ServerStatusNotification = notification<ServerStatusParams>('lipschitzLens/status');

/** The status word for an audit that needs configuration (`ConfigurationProblem`): not a verdict on the model. */
export const NEEDS_SETUP = 'needs-setup';
/** The status item's words for each configuration problem. */
export const NEEDS_SETUP_TEXT: Record<ConfigurationKind, string> = {
  'input-shape': 'input shape needed',
  export: 'export needed',
  'factory-args': 'factory arguments needed',
};

/** The title of the server's quick fix for an `input-shape` problem; the client's notification offers it too. */
export const ADD_INPUT_SHAPE = 'Add @inputShape';
/** What that fix writes where nothing in the code gives the shape (`@inputShape [n]`), for the user to fill. */
export const SHAPE_PLACEHOLDER = 'n';

/** Client command ids the server refers to (CodeLens). */
export const AuditModelCommand = 'lipschitzLens.auditModel';

/**
 * The client command behind a quick fix whose import does not resolve: adds the packages to the file's project
 * (the copy shipped in the extension, installed by the project's package manager in a terminal), then applies
 * the edits. With no argument it adds the library to the active file's project.
 */
export const ADD_LIBRARY_COMMAND = 'lipschitzLens.addLibrary';

export interface AddLibraryArgs {
  uri: string;
  /** The document version the edits were made for: a later version gets the fix offered again instead. */
  version?: number;
  edits: { range: LspRange; newText: string }[];
  packages: readonly string[];
}

/** Error codes of the custom requests, in the server-defined range. */
export const LensErrorCodes = {
  /** The audit was refused: the workspace is not trusted, and an audit runs its code. */
  Untrusted: -32001,
} as const;
