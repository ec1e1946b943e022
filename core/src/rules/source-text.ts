/**
 * Text positions and edits computed from the source text and IR ranges, so findings and fixes never hold
 * ts-morph nodes. Positions are zero-based UTF-16 offsets, as in LSP and in JS strings.
 */
import type { Position } from '../ir/model-ir';
import type { TextEdit, TextRange } from './rule';

export class SourceText {
  private readonly lineStarts: number[];

  constructor(readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  offsetAt(pos: Position): number {
    const start = this.lineStarts[Math.min(Math.max(pos.line, 0), this.lineStarts.length - 1)] ?? 0;
    return Math.min(start + Math.max(pos.character, 0), this.text.length);
  }

  positionAt(offset: number): Position {
    const o = Math.min(Math.max(offset, 0), this.text.length);
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.lineStarts[lo]! };
  }

  slice(range: TextRange): string {
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }

  lineText(line: number): string {
    const start = this.lineStarts[line] ?? this.text.length;
    const next = this.lineStarts[line + 1];
    return this.text.slice(start, next === undefined ? undefined : next - 1).replace(/\r$/, '');
  }

  rangeOf(start: number, end: number): TextRange {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  /** Index of the bracket closing the one at `open`, skipping strings and comments; -1 if unbalanced. */
  matchBracket(open: number): number {
    const pairs: Record<string, string> = { '{': '}', '(': ')', '[': ']' };
    const stack: string[] = [];
    const t = this.text;
    for (let i = open; i < t.length; i++) {
      const ch = t[i]!;
      if (ch === '"' || ch === "'" || ch === '`') {
        i = skipString(t, i);
      } else if (ch === '/' && t[i + 1] === '/') {
        const nl = t.indexOf('\n', i);
        i = nl < 0 ? t.length : nl;
      } else if (ch === '/' && t[i + 1] === '*') {
        const close = t.indexOf('*/', i + 2);
        i = close < 0 ? t.length : close + 1;
      } else if (pairs[ch] !== undefined) {
        stack.push(pairs[ch]);
      } else if (ch === '}' || ch === ')' || ch === ']') {
        if (stack.pop() !== ch) return -1;
        if (stack.length === 0) return i;
      }
    }
    return -1;
  }
}

function skipString(t: string, start: number): number {
  const quote = t[start];
  for (let i = start + 1; i < t.length; i++) {
    if (t[i] === '\\') i++;
    else if (t[i] === quote) return i;
  }
  return t.length;
}

/** The `{...}` config object passed as the first argument of the call or `new` expression in `range`. */
export function configObject(
  source: SourceText,
  range: TextRange,
): { open: number; close: number } | undefined {
  const start = source.offsetAt(range.start);
  const end = source.offsetAt(range.end);
  const paren = source.text.indexOf('(', start);
  if (paren < 0 || paren >= end) return undefined;
  const open = paren + 1 + (/^\s*/.exec(source.text.slice(paren + 1))?.[0].length ?? 0);
  if (source.text[open] !== '{') return undefined;
  const close = source.matchBracket(open);
  return close < 0 || close > end ? undefined : { open, close };
}

/** Inserts `key: value` as the last property of the config object, keeping its one-line or multi-line layout. */
export function insertProperty(source: SourceText, range: TextRange, property: string): TextEdit | undefined {
  const obj = configObject(source, range);
  if (obj === undefined) return undefined;
  const t = source.text;
  let last = obj.close - 1;
  while (last > obj.open && /\s/.test(t[last]!)) last--;
  const multiline = t.slice(last + 1, obj.close).includes('\n');
  const at = source.positionAt(last + 1);
  if (last === obj.open) {
    return { range: { start: at, end: at }, newText: property };
  }
  const comma = t[last] === ',' ? '' : ',';
  if (!multiline) return { range: { start: at, end: at }, newText: `${comma} ${property}` };
  const indent = /^\s*/.exec(source.lineText(at.line))?.[0] ?? '';
  return {
    range: { start: at, end: at },
    newText: `${comma}\n${indent}${property}${comma === '' ? ',' : ''}`,
  };
}

/** The package fixes import this project's layers and constraints from. */
export const LIBRARY_PACKAGE = 'lipschitz-lens';

/** Per source text: one answer per imported name, since every finding of a file asks the same question. */
const importEdits = new WeakMap<SourceText, Map<string, TextEdit | undefined>>();

/**
 * An edit importing `name` from `module` when the file does not bind it yet: merged into an existing named
 * import from the module, else a new line after the last import (or a `require` in CommonJS files).
 */
export function importEdit(source: SourceText, name: string, module = LIBRARY_PACKAGE): TextEdit | undefined {
  let known = importEdits.get(source);
  if (known === undefined) importEdits.set(source, (known = new Map()));
  const key = `${module}\0${name}`;
  if (!known.has(key)) known.set(key, computeImportEdit(source, name, module));
  return known.get(key);
}

function computeImportEdit(source: SourceText, name: string, module: string): TextEdit | undefined {
  const t = source.text;
  const bound = new RegExp(`(import|const|let|var)\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`);
  if (bound.test(t)) return undefined;
  const quoted = `['"]${module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]`;
  const existing = new RegExp(`import\\s*(type\\s+)?\\{([^}]*)\\}\\s*from\\s*${quoted}`).exec(t);
  if (existing && existing[1] === undefined) {
    const brace = existing.index + existing[0].indexOf('{') + 1;
    const pad = t[brace] === ' ' ? 1 : 0;
    const at = source.positionAt(brace + pad);
    return { range: { start: at, end: at }, newText: `${name}, ` };
  }
  const imports = [...t.matchAll(/^import\b[^;]*;?[^\n]*$/gm)];
  const lastImport = imports[imports.length - 1];
  const usesRequire = imports.length === 0 && /\brequire\s*\(/.test(t);
  const line = usesRequire
    ? `const { ${name} } = require('${module}');\n`
    : `import { ${name} } from '${module}';\n`;
  if (lastImport) {
    const at = source.positionAt(lastImport.index + lastImport[0].length + 1);
    return { range: { start: at, end: at }, newText: line };
  }
  // After a shebang or 'use strict' prologue, else at the top.
  const prologue = /^(#![^\n]*\n)?(\s*(['"])use strict\3;?[^\n]*\n)?/.exec(t)?.[0] ?? '';
  const at = source.positionAt(prologue.length);
  return { range: { start: at, end: at }, newText: line };
}

/** The `// lipschitz-lens-disable-next-line <id>` suggestion, indented like the reported line. */
export function disableEdit(source: SourceText, line: number, ruleId: string): TextEdit {
  const indent = /^\s*/.exec(source.lineText(line))?.[0] ?? '';
  const at = { line, character: 0 };
  return {
    range: { start: at, end: at },
    newText: `${indent}// lipschitz-lens-disable-next-line ${ruleId}\n`,
  };
}

/** The range of the numeric value of `key: <number>` inside `range`, for "lower the coefficient" fixes. */
export function numericPropertyRange(
  source: SourceText,
  range: TextRange,
  keys: readonly string[],
): TextRange | undefined {
  const start = source.offsetAt(range.start);
  const text = source.text.slice(start, source.offsetAt(range.end));
  const re = new RegExp(`\\b(${keys.join('|')})\\s*:\\s*([0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)`);
  const m = re.exec(text);
  if (!m) return undefined;
  const valueStart = start + m.index + m[0].length - m[2]!.length;
  return source.rangeOf(valueStart, valueStart + m[2]!.length);
}

/** The range of the string literal value of `key: 'value'` inside `range`. */
export function stringPropertyRange(
  source: SourceText,
  range: TextRange,
  key: string,
): TextRange | undefined {
  const start = source.offsetAt(range.start);
  const text = source.text.slice(start, source.offsetAt(range.end));
  const m = new RegExp(`\\b${key}\\s*:\\s*(['"\`])([^'"\`]*)\\1`).exec(text);
  if (!m) return undefined;
  const valueStart = start + m.index + m[0].length - m[2]!.length - 2;
  return source.rangeOf(valueStart, valueStart + m[2]!.length + 2);
}
