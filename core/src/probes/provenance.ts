/**
 * What the report says first (issue 12): where the weights and the probe inputs came from, and what the model is
 * meant to be, which decides the probes. Read in the worker, which has the request, the file system and the
 * loaded model.
 */
import { readFileSync, statSync } from 'node:fs';
import type { AuditRequest } from '../protocol/worker-messages';
import type { Provenance, ReportIntent } from '../report/schema';
import { PROBE_IDS, type ProbeId } from './probe';

function modified(path: string): string | null {
  try {
    return statSync(path).mtime.toISOString();
  } catch {
    return null;
  }
}

/**
 * Calls by which a module sets its model's weights itself. A textual check of the module file only (a helper it
 * imports is not read): when one is seen, the weights are not called a fresh initialisation.
 */
const WEIGHT_LOADERS = /\b(loadLayersModel|loadGraphModel|loadWeights|setWeights)\s*\(/;

function weightLoader(file: string): string | undefined {
  try {
    return WEIGHT_LOADERS.exec(readFileSync(file, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function weightsOfModule(file: string): Provenance['weights'] {
  const call = weightLoader(file);
  return call === undefined ? { kind: 'fresh', module: file } : { kind: 'module-loaded', module: file, call };
}

/** The weights, data and seed of an audit; `points` is the number of probe points actually used. */
export function provenanceOf(request: AuditRequest, points: number): Provenance {
  const m = request.model;
  return {
    weights:
      m.source === 'checkpoint'
        ? { kind: 'checkpoint', path: m.path, modified: modified(m.path) }
        : weightsOfModule(m.file),
    // normalData draws standard normals: scale 1.
    data:
      request.sample === undefined
        ? { kind: 'normal', points, scale: 1 }
        : { kind: 'sample', path: request.sample, points },
    seed: request.seed ?? 0,
  };
}

/**
 * The request's intent (the linter's), else, with no source analysed, the loaded model's: invertible when it has
 * an inverse, ordinary otherwise; `unknown` when the model did not load.
 */
export function intentOf(request: AuditRequest, hasInverse?: boolean): ReportIntent {
  if (request.intent !== undefined)
    return { kind: request.intent.kind, signals: request.intent.signals, decidedBy: 'code' };
  if (hasInverse === undefined)
    return {
      kind: 'unknown',
      signals: ['no source was analysed and the model did not load'],
      decidedBy: 'runtime',
    };
  return hasInverse
    ? {
        kind: 'invertible',
        signals: ['no source was analysed; the loaded model has an inverse()'],
        decidedBy: 'runtime',
      }
    : {
        kind: 'ordinary',
        signals: ['no source was analysed; the loaded model has no inverse()'],
        decidedBy: 'runtime',
      };
}

/** The probes each intent's verdict rests on: an ordinary model and a critic are judged on their forward map. */
const PROBES_BY_INTENT: Record<ReportIntent['kind'], readonly ProbeId[]> = {
  invertible: PROBE_IDS,
  unknown: PROBE_IDS,
  ordinary: ['forward-lipschitz'],
  lipschitz: ['forward-lipschitz'],
};

/** Why a probe is not part of this intent's audit, or undefined when it is. */
export function outsideIntent(intent: ReportIntent, id: ProbeId): string | undefined {
  if (PROBES_BY_INTENT[intent.kind].includes(id)) return undefined;
  const what = intent.kind === 'lipschitz' ? 'a Lipschitz-bounded model (critic)' : 'an ordinary model';
  return `not part of the audit of ${what}: it is not meant to be invertible`;
}
