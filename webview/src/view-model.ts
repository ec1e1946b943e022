/**
 * Report -> what the panel shows. Pure: the panel, the standalone HTML file and tests share it. Figures are
 * found by probe and figure id (`<probe>.<figure>` in the headline list, or inside the probe), so a report from a
 * run that skipped a probe simply shows fewer cards.
 */
import {
  reportVerdict,
  verdictText,
  type StaticBlockBound,
  type Verdict,
  type WebviewRange,
} from '../../core/src/protocol/webview';
import { provenanceLines, type ProvenanceLine } from '../../core/src/report/provenance-text';
import type { Curve, Figure, Report, Table } from '../../core/src/report/schema';

export interface Card {
  id: string;
  label: string;
  value: string;
  /** Whether the number alone says something is wrong (drawn in the error colour). */
  bad: boolean;
  title: string;
}

export interface BlockRow {
  name: string;
  /** What the block is (`dense`, `residual`), shown beside its name when the static bounds say. */
  kind?: string;
  measuredForward: number | null;
  measuredInverse: number | null;
  staticForward: string;
  staticInverse: string;
  source: string;
  /** The linter's findings inside this block (`error rule-id`), beside the measured values. */
  lint: string;
  file?: string;
  range?: WebviewRange;
}

export interface FindingRow {
  severity: 'error' | 'warning' | 'info';
  message: string;
  where: string;
  file?: string;
  range?: WebviewRange;
}

export interface ViewModel {
  title: string;
  verdict: Verdict;
  /** The verdict as a phrase that says what was judged ("architecture looks stable (fresh weights)"). */
  verdictText: string;
  /** Weights, data, seed, backends and intent: shown first, before any figure. */
  provenance: ProvenanceLine[];
  subtitle: string;
  cards: Card[];
  curves: Curve[];
  blocks: BlockRow[];
  findings: FindingRow[];
  /** The linter's findings about the model (static), and how they relate to the verdict when they seem to disagree. */
  lint: FindingRow[];
  lintRelation?: string;
  notes: string[];
}

export function findFigure(report: Report, probe: string, id: string): Figure | undefined {
  const headline = report.figures.find((f) => f.id === `${probe}.${id}`);
  if (headline) return headline;
  return report.probes.find((p) => p.id === probe)?.figures.find((f) => f.id === id);
}

export function formatValue(f: Figure | undefined): string {
  if (!f) return '—';
  if (f.value === null)
    return f.nonFinite === undefined
      ? 'unknown'
      : f.nonFinite === 'nan'
        ? 'NaN'
        : f.nonFinite === 'inf'
          ? '∞'
          : '−∞';
  const v = f.value;
  const a = Math.abs(v);
  const s = a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  return f.unit ? `${s} ${f.unit}` : s;
}

interface CardSpec {
  id: string;
  label: string;
  find: Array<[string, string]>;
  /** Bad when above this (a NaN/Inf is always bad). */
  badAbove?: number;
  percent?: boolean;
}

const CARDS: CardSpec[] = [
  {
    id: 'forward',
    label: 'Forward Lipschitz',
    find: [
      ['forward-lipschitz', 'sigma-max'],
      ['forward-lipschitz', 'pair-max'],
    ],
  },
  {
    id: 'inverse',
    label: 'Inverse Lipschitz',
    find: [['inverse-lipschitz', 'inverse-lipschitz']],
    badAbove: 1e3,
  },
  { id: 'condition', label: 'Condition number', find: [['condition', 'condition']], badAbove: 1e6 },
  {
    id: 'reconstruction',
    label: 'Worst reconstruction error',
    find: [
      ['attack', 'worst-error'],
      ['reconstruction', 'ood-max'],
      ['reconstruction', 'data-max'],
    ],
    badAbove: 1e-2,
  },
  { id: 'nan-rate', label: 'NaN rate', find: [['sampling', 'nonfinite-rate']], badAbove: 0, percent: true },
];

function card(report: Report, spec: CardSpec): Card | undefined {
  for (const [probe, id] of spec.find) {
    const f = findFigure(report, probe, id);
    if (!f) continue;
    const bad =
      f.value === null ? f.nonFinite !== undefined : spec.badAbove !== undefined && f.value > spec.badAbove;
    const value =
      spec.percent && f.value !== null ? `${Number((f.value * 100).toPrecision(3))}%` : formatValue(f);
    return { id: spec.id, label: spec.label, value, bad, title: `${f.label} (${probe}.${id})` };
  }
  return undefined;
}

function tableOf(report: Report, probe: string, id: string): Table | undefined {
  return report.probes.find((p) => p.id === probe)?.tables.find((t) => t.id === id);
}

/** Column `name` of a table as block name -> number. */
function column(t: Table | undefined, name: string): Map<string, number | null> {
  const out = new Map<string, number | null>();
  if (!t) return out;
  const i = t.columns.indexOf(name);
  const b = t.columns.indexOf('block');
  if (i < 0 || b < 0) return out;
  for (const row of t.rows) {
    const v = row[i];
    out.set(String(row[b]), typeof v === 'number' ? v : null);
  }
  return out;
}

function fmtBound(b: number | string): string {
  return typeof b === 'number' ? String(Number(b.toPrecision(4))) : b;
}

export function blockRows(report: Report, staticBounds: readonly StaticBlockBound[] = []): BlockRow[] {
  const fwd = column(tableOf(report, 'forward-lipschitz', 'blocks'), 'sigma_max');
  const inv = column(tableOf(report, 'inverse-lipschitz', 'blocks'), 'inverse_lipschitz');
  const names = report.model.blocks ?? [...new Set([...fwd.keys(), ...inv.keys()])];
  // The IR and the runtime list blocks in model order; match by position when the counts agree, else by name.
  const byIndex = staticBounds.length === names.length;
  const lintOf = (name: string): string =>
    (report.lint?.findings ?? [])
      .filter((f) => f.block === name)
      .map((f) => `${f.severity} ${f.ruleId}`)
      .join('; ');
  const rows = names.map((name, i): BlockRow => {
    const s = byIndex ? staticBounds[i] : staticBounds.find((b) => b.label === name);
    return {
      name,
      ...(s?.kind ? { kind: s.kind } : {}),
      lint: lintOf(name),
      measuredForward: fwd.get(name) ?? null,
      measuredInverse: inv.get(name) ?? null,
      staticForward: s ? fmtBound(s.forward) : '—',
      staticInverse: s ? fmtBound(s.inverse) : '—',
      source: s?.source ?? '',
      ...(s?.file ? { file: s.file } : {}),
      ...(s?.range ? { range: s.range } : {}),
    };
  });
  if (rows.length === 0) {
    return staticBounds.map((s) => ({
      name: s.label,
      ...(s.kind ? { kind: s.kind } : {}),
      lint: '',
      measuredForward: null,
      measuredInverse: null,
      staticForward: fmtBound(s.forward),
      staticInverse: fmtBound(s.inverse),
      source: s.source,
      ...(s.file ? { file: s.file } : {}),
      ...(s.range ? { range: s.range } : {}),
    }));
  }
  return rows;
}

export interface SourceLink {
  /** `file:///path#L<line>`: what a standalone page links to, having no editor to reveal source in. */
  href: string;
  /** `<base name>:<line>`, shown; the full path goes in the title. */
  label: string;
  title: string;
}

export function sourceLink(file: string, range: WebviewRange): SourceLink {
  const line = range.start.line + 1;
  const slashed = file.replace(/\\/g, '/');
  const path = encodeURI(slashed.startsWith('/') ? slashed : `/${slashed}`).replace(
    /[?#]/g,
    encodeURIComponent,
  );
  return {
    href: `file://${path}#L${line}`,
    label: `${slashed.slice(slashed.lastIndexOf('/') + 1)}:${line}`,
    title: `${file}:${line}`,
  };
}

export function toViewModel(report: Report, given: readonly StaticBlockBound[] = []): ViewModel {
  // The report carries its static bounds since schema v2; a host that sends its own (with sources) wins.
  const staticBounds = given.length > 0 ? given : (report.staticBounds?.blocks ?? []);
  const cards = CARDS.map((c) => card(report, c)).filter((c): c is Card => c !== undefined);
  const backend = report.backend
    ? `${report.backend.name} (${report.backend.package} ${report.backend.version})`
    : 'backend unknown';
  const findings = report.findings.map((f): FindingRow => {
    const where = f.block ? `block ${f.block}` : f.range ? `line ${f.range.start.line + 1}` : f.probe;
    // The code, as lint rows show their rule id: what docs/audit-findings.md lists.
    return {
      severity: f.severity,
      message: `${f.code}: ${f.message}`,
      where,
      ...(f.range ? { file: f.range.file, range: { start: f.range.start, end: f.range.end } } : {}),
    };
  });
  const lint = (report.lint?.findings ?? []).map((f): FindingRow => ({
    severity: f.severity,
    message: `${f.ruleId}: ${f.message}`,
    where: f.block ? `block ${f.block}` : `line ${f.range.start.line + 1}`,
    file: f.range.file,
    range: { start: f.range.start, end: f.range.end },
  }));
  const notes = report.probes.flatMap((p) => [
    ...(p.status !== 'ok' ? [`${p.title}: ${p.status}${p.message ? ` — ${p.message}` : ''}`] : []),
    ...p.notes,
  ]);
  if (report.error) notes.unshift(`${report.error.phase}: ${report.error.message}`);
  return {
    title: report.model.name,
    verdict: reportVerdict(report),
    verdictText: verdictText(report),
    provenance: provenanceLines(report),
    subtitle: `${report.status} · ${backend} · ${Math.round(report.durationMs)} ms · ${report.createdAt}`,
    cards,
    curves: report.probes.flatMap((p) => p.curves),
    blocks: blockRows(report, staticBounds),
    findings,
    lint,
    ...(report.lint?.relation ? { lintRelation: report.lint.relation } : {}),
    notes,
  };
}
