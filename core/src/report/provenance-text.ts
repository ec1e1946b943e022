/**
 * The sentences a report opens with, shared by the page (webview), the CLI summary and the hover so that each
 * says the same about the weights, the data, the backends and the intent. Pure: no Node, no DOM.
 */
import { FRESH_WEIGHTS_TEXT, type ProbeResult, type Report } from './schema';
import { plural } from './plural';

/** `weights`, `data`, `seed`, `ran on` (backends), `intent` (and a critic's `global bound`), in this order. */
export interface ProvenanceLine {
  label: string;
  text: string;
}

/** How a probe's backend reads: `wasm`, or `cpu (fell back from wasm: <reason>)`. */
export function probeBackendText(p: ProbeResult): string | undefined {
  const b = p.backend;
  if (b === undefined) return undefined;
  return b.fallback === undefined
    ? b.name
    : `${b.name} (fell back from ${b.fallback.from}: ${b.fallback.reason})`;
}

/** The backends the probes ran on: one name when all agree, else per probe; fallbacks always named. */
function backendsText(report: Report): string {
  const ran = report.probes.filter((p) => p.backend !== undefined);
  if (ran.length === 0) return report.backend?.name ?? 'no probe ran';
  const names = new Set(ran.map((p) => p.backend!.name));
  const fallbacks = ran.filter((p) => p.backend!.fallback !== undefined);
  if (names.size === 1 && fallbacks.length === 0) return `${[...names][0]!} (every probe)`;
  return ran.map((p) => `${p.id}: ${probeBackendText(p)!}`).join('; ');
}

const INTENT_WORDS: Record<Report['intent']['kind'], string> = {
  invertible: 'invertible: the full suite (forward and inverse) is its verdict',
  lipschitz:
    'Lipschitz-bounded (a critic): judged on its forward map; the measured constant is a lower bound on the global one, the static bound an upper one',
  ordinary:
    'ordinary: judged on its forward Lipschitz constant; it is not meant to be invertible, so no invertibility verdict',
  unknown: 'unknown: every probe ran',
};

export function intentText(report: Report): string {
  const { kind, signals, decidedBy } = report.intent;
  const why =
    signals.length > 0
      ? signals.slice(0, 3).join('; ')
      : 'no sign that it must be invertible or Lipschitz-bounded';
  const source = decidedBy === 'code' ? 'read from the code' : 'decided at run time';
  return `${INTENT_WORDS[kind]} (${source}: ${why})`;
}

function num(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
    ? v.toExponential(2)
    : String(Number(v.toPrecision(4)));
}

/**
 * A critic's verdict is about its global constant: the static bound is the guarantee, the measured constant at
 * the probe points only a lower bound on it. One line putting the two side by side.
 */
export function globalBoundText(report: Report): string {
  const measured = report.figures.find((f) => f.id === 'forward-lipschitz.sigma-max');
  const shown =
    measured === undefined
      ? 'not measured'
      : measured.value === null
        ? (measured.nonFinite ?? '—')
        : num(measured.value);
  const bound = report.staticBounds?.model;
  const guarantee =
    bound === undefined
      ? 'no static bound (no source analysed)'
      : typeof bound.forward === 'number'
        ? `static global bound ${num(bound.forward)}${bound.source ? ` (${bound.source})` : ''}`
        : `static global bound ${bound.forward}: nothing guarantees a global constant`;
  return `measured ${shown} at the probe points (a lower bound on the global constant); ${guarantee}`;
}

export function provenanceLines(report: Report): ProvenanceLine[] {
  const { weights, data, seed } = report.provenance;
  const critic: ProvenanceLine[] =
    report.intent.kind === 'lipschitz' ? [{ label: 'global bound', text: globalBoundText(report) }] : [];
  return [
    {
      label: 'weights',
      text:
        weights.kind === 'checkpoint'
          ? `checkpoint ${weights.path} (modified ${weights.modified ?? 'unknown'})`
          : weights.kind === 'module-loaded'
            ? `set by ${weights.module} itself (it calls ${weights.call}): not a fresh initialisation, but which weights is not known here`
            : `${FRESH_WEIGHTS_TEXT} (built by ${weights.module})`,
    },
    {
      label: 'data',
      text:
        data.kind === 'sample'
          ? `${plural(data.points, 'point')} from ${data.path}`
          : `${plural(data.points, 'standard normal')} (scale ${data.scale})`,
    },
    {
      label: 'seed',
      text: `${seed} (probe points and probes, and Math.random in the worker, so unseeded initialisers repeat)`,
    },
    { label: 'ran on', text: backendsText(report) },
    { label: 'intent', text: intentText(report) },
    ...critic,
  ];
}
