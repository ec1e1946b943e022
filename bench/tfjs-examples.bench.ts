/**
 * How much of real-world model code the linter sees: lints the model-building files of a checkout of
 * tensorflow/tfjs-examples (or any folder) and counts, independently of the extractor, the weighted layers written
 * in them (a plain AST scan for `tf.layers.<weighted>(...)` / `layers.<weighted>(...)`), and how many of them got
 * a missing-lipschitz-constraint finding at their line ("seen"). Prints every error and warning, every unseen
 * layer, and the totals. Run: npx tsx bench/tfjs-examples.bench.ts /path/to/tfjs-examples [--notes]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ts } from 'ts-morph';
import { WEIGHTED_LAYERS } from '../core/src/bounds/config';
import { ModelExtractor } from '../core/src/extract';
import { type Finding, lintFile, type Severity } from '../core/src/rules';

const SKIP_DIRS = new Set([
  'node_modules',
  'dist',
  'build',
  'test',
  'tests',
  '__tests__',
  'vendor',
  'third_party',
  '.git',
]);
const SOURCE = /\.(js|mjs|cjs|jsx|ts|tsx)$/;
const NOT_SOURCE = /(\.d\.ts|\.min\.js|[._-](test|spec)\.[cm]?[jt]sx?)$/;
const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1, hint: 0 };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch {
      return [];
    }
    if (st.isDirectory()) return SKIP_DIRS.has(n) || n.startsWith('.') ? [] : sourceFiles(p);
    return SOURCE.test(n) && !NOT_SOURCE.test(n) ? [p] : [];
  });
}

interface Scan {
  /** Creates layers or models: `tf.layers.*(...)`, `layers.*(...)`, `tf.sequential(...)`, `tf.model(...)`. */
  buildsModels: boolean;
  /** Weighted layers written in the file: 0-based line and the factory name. */
  weighted: { line: number; layerType: string }[];
}

/** The independent count: a syntactic scan, no name resolution. */
function scan(file: string, text: string): Scan {
  const kind = /\.tsx?$/.test(file) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const out: Scan = { buildsModels: false, weighted: [] };
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const name = n.expression.name.text;
      const recv = n.expression.expression;
      const onLayers =
        (ts.isIdentifier(recv) && recv.text === 'layers') ||
        (ts.isPropertyAccessExpression(recv) && recv.name.text === 'layers');
      const onTf = ts.isIdentifier(recv) && /^tf/.test(recv.text);
      if (onLayers || (onTf && (name === 'sequential' || name === 'model'))) out.buildsModels = true;
      if (onLayers && Object.hasOwn(WEIGHTED_LAYERS, name)) {
        const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
        out.weighted.push({ line, layerType: name });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function main(): void {
  const root = process.argv[2];
  const showNotes = process.argv.includes('--notes');
  if (!root) {
    console.error('usage: npx tsx bench/tfjs-examples.bench.ts <folder> [--notes]');
    process.exit(2);
  }
  const rel = (p: string): string => relative(root, p);
  const files = sourceFiles(root).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const s = scan(file, text);
    return s.buildsModels ? [{ file, text, scan: s }] : [];
  });

  // Lint every file; route each finding to the file that holds it, once per (file, rule, line), most severe.
  const extractor = new ModelExtractor({ rootDir: root });
  const routed = new Map<string, Finding>();
  const notes: string[] = [];
  let failures = 0;
  const t0 = performance.now();
  for (const { file, text } of files) {
    try {
      const ir = extractor.extractFile(file);
      for (const n of ir.notes) notes.push(`${rel(n.range.file)}:${n.range.start.line + 1}  ${n.message}`);
      for (const f of lintFile(ir, text)) {
        const key = `${f.range.file}\0${f.ruleId}\0${f.range.start.line}`;
        const prev = routed.get(key);
        if (!prev || RANK[f.severity] > RANK[prev.severity]) routed.set(key, f);
      }
    } catch (e) {
      failures++;
      console.log(`THREW  ${rel(file)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const ms = performance.now() - t0;
  const findings = [...routed.values()];

  const serious = findings
    .filter((f) => f.severity === 'error' || f.severity === 'warning')
    .sort((a, b) => a.range.file.localeCompare(b.range.file) || a.range.start.line - b.range.start.line);
  console.log(`Errors and warnings (${serious.length}):`);
  for (const f of serious)
    console.log(
      `  ${rel(f.range.file)}:${f.range.start.line + 1}  ${f.severity}  ${f.ruleId}  ${f.message.slice(0, 140)}`,
    );

  const seenAt = new Set(
    findings
      .filter((f) => f.ruleId === 'missing-lipschitz-constraint')
      .map((f) => `${f.range.file}\0${f.range.start.line}`),
  );
  let counted = 0;
  let seen = 0;
  const unseen: string[] = [];
  for (const { file, text, scan: s } of files) {
    const lines = text.split('\n');
    for (const w of s.weighted) {
      counted++;
      if (seenAt.has(`${file}\0${w.line}`)) seen++;
      else
        unseen.push(`  ${rel(file)}:${w.line + 1}  ${w.layerType}  ${lines[w.line]?.trim().slice(0, 100)}`);
    }
  }
  console.log(`Weighted layers not seen (${unseen.length}):`);
  for (const u of unseen) console.log(u);
  if (showNotes) {
    console.log(`Extraction notes (${notes.length}):`);
    for (const n of notes) console.log(`  ${n}`);
  }

  const count = (sev: Severity): number => findings.filter((f) => f.severity === sev).length;
  console.log(
    `files ${files.length}  layers counted ${counted}  seen ${seen}  errors ${count('error')}  warnings ${count('warning')}  ` +
      `infos ${count('info')}  hints ${count('hint')}  notes ${notes.length}  threw ${failures}  (${ms.toFixed(0)} ms)`,
  );
}

main();
