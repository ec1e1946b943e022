/**
 * The rule contract, after typescript-eslint: a rule declares its messages by id and reports with a message id
 * and data; findings are plain JSON (LSP diagnostics, code actions, CLI output and SARIF are built from them).
 */
import type { CustomLayerInfo, FileIr, IrNode, ModelNode, Position, SourceRange } from '../ir/model-ir';
import type { BoundsMap } from '../bounds';
import type { SourceText } from './source-text';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];

export interface TextRange {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: TextRange;
  newText: string;
}

/** A code change, applied as a whole. */
export interface FixData {
  title: string;
  edits: TextEdit[];
  /** Packages the inserted code imports: the fix compiles only where they resolve from the file. */
  requires?: readonly string[];
  /**
   * Those of `requires` that do not resolve from the file, as the editor's engine found them
   * (core/src/extract/module-resolution.ts); unset where nobody looked.
   */
  unresolved?: readonly string[];
}

export interface RelatedInfo {
  message: string;
  range: SourceRange;
}

export interface Finding {
  ruleId: string;
  messageId: string;
  /** The message template rendered with the report's data. */
  message: string;
  severity: Severity;
  range: SourceRange;
  related: RelatedInfo[];
  /** The preferred fix, when one is safe to apply without review. Edits apply to `range.file`. */
  fix?: FixData;
  /** Alternatives to review; always includes a disable comment. */
  suggestions: FixData[];
}

export type MessageData = Record<string, string | number>;

export interface ReportDescriptor<MessageIds extends string> {
  messageId: MessageIds;
  data?: MessageData;
  /** Where to report: a node (its range) or an explicit range. */
  node?: IrNode | ModelNode | CustomLayerInfo;
  range?: SourceRange;
  /** Overrides the rule's default severity (the rules grade by where the node sits). */
  severity?: Severity;
  related?: RelatedInfo[];
  /** The model whose intent graded the finding: the signals that decided it become related information. */
  model?: ModelNode;
  /** For a node written in another file: the call in the linted file that leads to it. */
  via?: SourceRange;
  fix?: FixData;
  suggestions?: FixData[];
}

export interface RuleContext<MessageIds extends string, Options> {
  fileIr: FileIr;
  source: SourceText;
  /** The text of the file a range is in: fixes for a layer written in another file are edits of that file. */
  sourceFor(range: SourceRange): SourceText;
  bounds: BoundsMap;
  options: Options;
  report(descriptor: ReportDescriptor<MessageIds>): void;
}

/** A JSON-schema subset: enough to document and check rule options. */
export interface OptionSchema {
  type: 'object';
  properties: Record<
    string,
    { type: 'number' | 'string' | 'boolean'; description: string; minimum?: number }
  >;
  additionalProperties: false;
}

export interface RuleMeta<MessageIds extends string, Options> {
  /** The page is `docs/rules/<id>.md` (see rule-docs.ts). */
  docs: { description: string };
  messages: Record<MessageIds, string>;
  defaultSeverity: Severity;
  schema?: OptionSchema;
  defaultOptions?: Options;
}

export interface RuleModule<MessageIds extends string = string, Options = unknown> {
  id: string;
  meta: RuleMeta<MessageIds, Options>;
  // Method syntax on purpose: it makes rules with specific message ids assignable to RuleModule<string>.
  check(context: RuleContext<MessageIds, Options>): void;
}

/** Identity with inference, so each rule file stays typed by its own message ids. */
export function defineRule<MessageIds extends string, Options = Record<string, never>>(
  rule: RuleModule<MessageIds, Options>,
): RuleModule<MessageIds, Options> {
  return rule;
}

/** `{{name}}` placeholders; a missing value stays visible rather than silently empty. */
export function renderMessage(template: string, data: MessageData = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(data, key) ? String(data[key]) : whole,
  );
}
