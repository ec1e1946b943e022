/** Hover on a layer, block or model: static bounds with their sources, and the latest audit's measurements. */
import type { MarkupContent, Position } from 'vscode-languageserver';
import type { NodeBounds } from '../../core/src/bounds';
import { formatBound } from '../../core/src/bounds';
import type { FileIr, IrNode, ModelNode, SourceRange } from '../../core/src/ir/model-ir';
import { FRESH_WEIGHTS_TEXT, type Figure, type Report } from '../../core/src/report/schema';
import { verdictText } from '../../core/src/protocol/webview';
import { firstSentence } from '../../core/src/rules/message-text';
import type { Finding } from '../../core/src/rules/rule';

export type Hoverable = IrNode | ModelNode;

function contains(r: SourceRange, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}

function size(r: SourceRange): number {
  // Lines dominate; characters break ties within a line.
  return (r.end.line - r.start.line) * 100_000 + (r.end.character - r.start.character);
}

/** The innermost layer, op, block or model whose range holds `pos`, with the model it belongs to. */
export function nodeAt(fileIr: FileIr, pos: Position): { node: Hoverable; model?: ModelNode } | undefined {
  let best: { node: Hoverable; model?: ModelNode; size: number } | undefined;
  const consider = (node: Hoverable, model: ModelNode | undefined): void => {
    if (!contains(node.range, pos)) return;
    const s = size(node.range);
    if (!best || s < best.size) best = { node, model, size: s };
  };
  const visit = (node: IrNode, model: ModelNode | undefined): void => {
    consider(node, model);
    if (node.kind === 'block') {
      if (node.instance) consider(node.instance, model);
      for (const c of node.children) visit(c, model);
    }
  };
  for (const model of fileIr.models) {
    consider(model, model);
    visit(model.body, model);
  }
  for (const layer of fileIr.looseLayers) consider(layer, undefined);
  return best && { node: best.node, model: best.model };
}

/** The model whose name or body holds `pos`, else undefined. */
export function modelAt(fileIr: FileIr, pos: Position): ModelNode | undefined {
  return fileIr.models.find((m) => contains(m.range, pos) || contains(m.body.range, pos));
}

export function label(node: Hoverable): string {
  switch (node.kind) {
    case 'model':
      return `model \`${node.name}\``;
    case 'block':
      return `${node.wiring} block${node.scale ? ` (scale: ${node.scale})` : ''}`;
    case 'layer':
      return `layer \`${node.layerType}\``;
    case 'op':
      return `op \`${node.op}\``;
  }
}

/** Markdown table cells must not contain pipes or newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function row(name: string, b: NodeBounds | undefined): string {
  if (!b) return `| ${cell(name)} | unknown | unknown | not computed |`;
  return `| ${cell(name)} | ${formatBound(b.forward)} | ${formatBound(b.inverse)} | ${cell(b.source)} |`;
}

function children(node: Hoverable): IrNode[] {
  if (node.kind === 'model') return node.body.children;
  if (node.kind === 'block') return node.children;
  return [];
}

const NON_FINITE = { nan: 'NaN', inf: '∞', '-inf': '−∞' } as const;

export function formatFigure(f: Figure): string {
  // A measurement that came out non-finite says which, as the report writes it; one that was not read is unknown.
  if (f.value === null) return f.nonFinite === undefined ? 'unknown' : NON_FINITE[f.nonFinite];
  const v =
    Math.abs(f.value) >= 1e4 || (Math.abs(f.value) < 1e-3 && f.value !== 0)
      ? f.value.toExponential(2)
      : String(Number(f.value.toPrecision(4)));
  return f.unit ? `${v} ${f.unit}` : v;
}

const MAX_ROWS = 12;

/** What the model is meant to be and why, the grade every finding in it follows. */
function intentLine(model: ModelNode): string {
  const signals = model.intent.signals
    .slice(0, 3)
    .map((s) => `${s.message} (line ${s.range.start.line + 1})`);
  const why =
    signals.length > 0 ? signals.join('; ') : 'no sign that it must be invertible or Lipschitz-bounded';
  return `_Model \`${cell(model.name)}\` is **${model.intent.kind}**: ${cell(why)}._`;
}

/**
 * The findings a hover on `node` shows: those that start in it and in no smaller node, so each finding shows on
 * the one node it flags.
 */
export function findingsOn(fileIr: FileIr, node: Hoverable, findings: readonly Finding[]): Finding[] {
  return findings.filter(
    (f) => f.range.file === node.range.file && nodeAt(fileIr, f.range.start)?.node === node,
  );
}

/** Message text as markdown text: no emphasis, code or links made by accident (`sigma_min`, `[1/M, M]`). */
function text(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

/** A title in sentence case after "Fix:" ("Add kernelConstraint: ..." -> "add kernelConstraint: ..."). */
function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * A finding as the hover shows it: what is wrong and the fix that applies. The explanation (the math) is the
 * rest of the diagnostic's message, which editors show beside this hover (VS Code above it, Neovim in its float):
 * repeated here it would read twice.
 */
function findingLines(f: Finding): string[] {
  // The preferred fix only: every finding also suggests a disable comment, which fixes nothing.
  const fix = f.fix ? `**Fix:** ${text(lowerFirst(f.fix.title))}` : undefined;
  return [
    `**${f.severity}** \`${f.ruleId}\`: ${text(firstSentence(f.message))}`,
    '',
    ...(fix ? [fix, ''] : []),
  ];
}

export function hoverMarkdown(
  node: Hoverable,
  bounds: ReadonlyMap<string, NodeBounds>,
  report: Report | undefined,
  model?: ModelNode,
  findings: readonly Finding[] = [],
): MarkupContent {
  const lines = [
    `**Lipschitz Lens** — ${label(node)}`,
    '',
    ...findings.flatMap(findingLines),
    ...(model ? [intentLine(model), ''] : []),
    '| | forward | inverse | source |',
    '|---|---|---|---|',
  ];
  const own = node.kind === 'model' ? (bounds.get(node.id) ?? bounds.get(node.body.id)) : bounds.get(node.id);
  const kids = children(node);
  // Blocks and models list their parts below their own row.
  lines.push(row(kids.length > 0 ? `**whole ${node.kind}**` : 'upper bound', own));
  if (own?.onDomain) {
    const d = own.onDomain;
    lines.push(row(`on the declared domain (${d.domain})`, { ...d, notes: [] }));
  }
  for (const c of kids.slice(0, MAX_ROWS)) lines.push(row(label(c), bounds.get(c.id)));
  if (kids.length > MAX_ROWS) lines.push(`| … ${kids.length - MAX_ROWS} more | | | |`);
  for (const note of own?.notes ?? []) lines.push('', `_${cell(note)}_`);
  // An audit that stopped for want of configuration measured nothing: say what it needs instead.
  if (report?.error?.configuration) lines.push('', `**Not measured**: ${cell(report.error.message)}`);
  else if (report) {
    lines.push(
      '',
      `**Measured** (audit of \`${cell(report.model.name)}\`, ${report.status}, ${report.createdAt}): ${cell(verdictText(report))}`,
      '',
    );
    // A measurement on fresh weights is about the architecture: say so beside the numbers.
    if (report.provenance.weights.kind === 'fresh') lines.push(`_${cell(FRESH_WEIGHTS_TEXT)}._`, '');
    lines.push('| figure | value |', '|---|---|');
    for (const f of report.figures.slice(0, MAX_ROWS))
      lines.push(`| ${cell(f.label)} | ${formatFigure(f)} |`);
    const top = report.findings.filter((f) => f.severity !== 'info').slice(0, 3);
    for (const f of top) lines.push('', `- ${f.severity}: ${cell(f.message)}`);
  }
  return { kind: 'markdown', value: lines.join('\n') };
}
