/**
 * Static model extraction: TS/JS model code -> the model IR. Syntactic only (no type checker), so it can run on
 * every keystroke; never throws on broken code.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { ts } from 'ts-morph';
import type { ExtractionNote, FileIr } from '../ir/model-ir';
import { extractModule } from './extract-file';
import { ModuleCtx, type ModuleLoader } from './module';
import { type Cut, flattenDeepNesting } from './nesting';

export type { ModuleLoader };

function scriptKind(file: string): ts.ScriptKind {
  switch (extname(file)) {
    case '.js':
    case '.mjs':
    case '.cjs':
      return ts.ScriptKind.JS;
    case '.tsx':
      return ts.ScriptKind.TSX;
    case '.jsx':
      return ts.ScriptKind.JSX;
  }
  return ts.ScriptKind.TS;
}

/**
 * Nesting levels kept when the parser overflows the stack on a file, then the fallback's own: the parser
 * manages about 600 nested calls on a default stack, less when the caller's stack is already deep.
 */
const NESTING_LIMITS = [256, 64];

/** Where the text of a parsed file was blanked because it was nested too deeply for the parser. */
const flattened = new WeakMap<ts.SourceFile, { limit: number; cuts: Cut[]; text: string }>();

/** Parses `text`; deep nesting the parser cannot take is blanked (see nesting.ts) and remembered for a note. */
function parse(file: string, text: string): ts.SourceFile {
  const kind = scriptKind(file);
  try {
    return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  const variant =
    kind === ts.ScriptKind.TSX || kind === ts.ScriptKind.JSX ? ts.LanguageVariant.JSX : undefined;
  for (const limit of NESTING_LIMITS) {
    const flat = flattenDeepNesting(text, limit, variant);
    try {
      const sf = ts.createSourceFile(file, flat.text, ts.ScriptTarget.Latest, true, kind);
      flattened.set(sf, { limit, cuts: flat.cuts, text });
      return sf;
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
  // Nothing the scan can see made it parse (deep JSX, say): an empty file, and a note on the first line.
  const sf = ts.createSourceFile(file, '', ts.ScriptTarget.Latest, true, kind);
  flattened.set(sf, { limit: 0, cuts: [{ start: 0, end: 0 }], text });
  return sf;
}

/** Notes for what `parse` blanked in the main file: the editor shows them as one "not analysed" line. */
function cutNotes(file: string, sf: ts.SourceFile): ExtractionNote[] {
  const flat = flattened.get(sf);
  if (!flat) return [];
  return flat.cuts.map((c) => {
    const at = sf.getLineAndCharacterOfPosition(c.start);
    const message =
      c.end > c.start
        ? `Nested more than ${flat.limit} levels deep: not read past this point.`
        : 'Extraction failed: the file is nested too deeply to parse.';
    return { message, range: { file, start: at, end: at } };
  });
}

/** Runs one extraction with a loader that builds each imported module once (cycles included). */
function run(file: string, sf: ts.SourceFile, read: (absPath: string) => ts.SourceFile | undefined): FileIr {
  const mods = new Map<string, ModuleCtx>();
  const load: ModuleLoader = (p) => {
    const hit = mods.get(p);
    if (hit) return hit;
    const other = read(p);
    if (!other) return undefined;
    const m = new ModuleCtx(p, other, load);
    mods.set(p, m);
    return m;
  };
  try {
    const main = new ModuleCtx(file, sf, load);
    mods.set(file, main);
    const extracted = extractModule(main);
    const cut = cutNotes(file, sf);
    const ir = cut.length > 0 ? { ...extracted, notes: [...cut, ...extracted.notes] } : extracted;
    const reads = [...mods.keys()].filter((p) => p !== file);
    return reads.length > 0 ? { ...ir, reads } : ir;
  } catch (e) {
    // extractModule guards each statement; this is the last line of defence for the editor.
    const at = { line: 0, character: 0 };
    const message = `Extraction failed: ${e instanceof Error ? e.message : String(e)}`;
    return {
      file,
      models: [],
      customLayers: [],
      looseLayers: [],
      notes: [{ message, range: { file, start: at, end: at } }],
    };
  }
}

function emptyIr(file: string, message: string): FileIr {
  const at = { line: 0, character: 0 };
  return {
    file,
    models: [],
    customLayers: [],
    looseLayers: [],
    notes: [{ message, range: { file, start: at, end: at } }],
  };
}

function readDisk(p: string): string | undefined {
  try {
    return statSync(p).isFile() ? readFileSync(p, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** Extracts one in-memory file; relative imports are read from disk when `fileName` points somewhere real. */
export function extractSource(text: string, fileName = 'inline.ts'): FileIr {
  const file = resolve(fileName);
  return run(file, parse(file, text), (p) => {
    const t = readDisk(p);
    return t === undefined ? undefined : parse(p, t);
  });
}

/**
 * One long-lived extractor for the language server and the CLI: parsed files are kept, open documents live in an
 * overlay (`updateFile`), other files are read from disk and parsed again when their mtime changes. Plain
 * TypeScript source files, not a ts-morph Project: extraction only reads syntax, and re-wrapping a Project's
 * nodes on every keystroke cost more than parsing.
 */
export class ModelExtractor {
  private readonly rootDir: string;
  private readonly overlay = new Map<string, ts.SourceFile>();
  private readonly disk = new Map<string, { mtime: number; sf: ts.SourceFile }>();

  constructor(options: { rootDir?: string } = {}) {
    this.rootDir = resolve(options.rootDir ?? process.cwd());
  }

  extractFile(filePath: string): FileIr {
    const file = resolve(this.rootDir, filePath);
    let sf: ts.SourceFile | undefined;
    try {
      sf = this.sourceFile(file);
    } catch (e) {
      // The parser itself can overflow the stack (thousands of nested calls): say so instead of failing.
      return emptyIr(file, `Extraction failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!sf) return emptyIr(file, `Could not read ${file}.`);
    return run(file, sf, (p) => {
      try {
        return this.sourceFile(p);
      } catch {
        return undefined;
      }
    });
  }

  /**
   * The text the extractor reads for a file: the open document's, else the disk copy (as extracted). For a
   * file whose deep nesting was blanked to parse it, the text as written (the blanking keeps every position).
   */
  textOf(filePath: string): string | undefined {
    const sf = this.sourceFile(resolve(this.rootDir, filePath));
    return sf && (flattened.get(sf)?.text ?? sf.text);
  }

  updateFile(filePath: string, text: string): void {
    const file = resolve(this.rootDir, filePath);
    this.overlay.set(file, parse(file, text));
  }

  removeFile(filePath: string): void {
    const file = resolve(this.rootDir, filePath);
    this.overlay.delete(file);
    this.disk.delete(file);
  }

  private sourceFile(file: string): ts.SourceFile | undefined {
    const open = this.overlay.get(file);
    if (open) return open;
    let mtime: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return undefined;
      mtime = st.mtimeMs;
    } catch {
      this.disk.delete(file);
      return undefined;
    }
    const cached = this.disk.get(file);
    if (cached && cached.mtime === mtime) return cached.sf;
    const text = readDisk(file);
    if (text === undefined) return undefined;
    const sf = parse(file, text);
    this.disk.set(file, { mtime, sf });
    return sf;
  }
}
export { auditTarget, findAuditTarget, type AuditTarget } from './audit-target';
