/**
 * Where a run's block is in the model's source. A run header names the model and its blocks by their runtime
 * names, which are the layers' `name` configs; the audit maps those to source the same way (server/src/audit.ts
 * blockRanges: the layer whose config sets that name). Here the name is found as the string the source sets.
 */
import type { WebviewRange } from '../../core/src/protocol/webview';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/**
 * The range of the string literal naming `block` in `text`: `name: 'coupling_3'` (any quote) first, else the
 * first literal that is exactly the name (a name passed positionally). undefined when the source never spells it
 * (a generated name like `dense_Dense1`).
 */
export function blockNameRange(text: string, block: string): WebviewRange | undefined {
  const literal = `(['"\`])${escape(block)}\\1`;
  const match = new RegExp(`\\bname\\s*:\\s*${literal}`).exec(text) ?? new RegExp(literal).exec(text);
  if (!match) return undefined;
  const quoteAt = match.index + match[0].length - block.length - 2;
  return {
    start: positionAt(text, quoteAt),
    end: positionAt(text, quoteAt + block.length + 2),
  };
}
