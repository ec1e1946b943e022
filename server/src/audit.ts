/**
 * The audit request: runs the probes in a separate process (runAudit forks the worker), one model at a time across
 * all requests unless `lipschitzLens.concurrentAudits` allows more (the others wait in a queue, saying so),
 * reports `$/progress`, turns LSP cancellation into an AbortSignal, refuses untrusted workspaces, and keeps the
 * latest report per model for hovers and "show last report".
 */
import { isAbsolute, join } from 'node:path';
import {
  type CancellationToken,
  LSPErrorCodes,
  ResponseError,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { auditTarget as staticAuditTarget } from '../../core/src/extract/audit-target';
import type { BoundsMap } from '../../core/src/bounds';
import type { CustomLayerInfo, ModelNode, SourceRange } from '../../core/src/ir/model-ir';
import { auditFolder } from '../../core/src/probes/audit-folder';
import { ProgressClock } from '../../core/src/probes/progress-text';
import { runAudit } from '../../core/src/probes/run-audit';
import {
  ADD_INPUT_SHAPE,
  type AuditOutcome,
  type AuditResult,
  type ConfigurationProblem,
  LensErrorCodes,
  type ModelSummary,
} from '../../core/src/protocol/lsp';
import type {
  AuditProgress,
  AuditRequest as WorkerAuditRequest,
  JsonValue,
} from '../../core/src/protocol/worker-messages';
import type { Report, ReportStaticBounds } from '../../core/src/report/schema';
import { modelLint } from '../../core/src/report/model-lint';
import { plural } from '../../core/src/report/plural';
import { staticBlockBounds, staticModelBound } from '../../core/src/report/static-bounds';
import type { Finding as RuleFinding } from '../../core/src/rules/rule';
import { AuditQueue } from './audit-queue';
import { pathToUri } from './documents';
import { describe } from './describe-error';
import type { LensSettings } from './settings';

/** Error code for "refused: untrusted workspace" (the client explains it rather than showing it raw). */
export const UNTRUSTED_ERROR = LensErrorCodes.Untrusted;

export interface AuditTarget {
  path: string;
  model: ModelNode;
  settings: LensSettings;
  /** The workspace folder holding the file: relative `lipschitzLens.checkpoints` paths are resolved from it. */
  folder: string;
  /** The file's static bounds, shown beside the measured values. */
  bounds: BoundsMap;
  /** The file's lint findings: the model's go into the report beside the measured values. */
  findings?: readonly RuleFinding[];
  /** The file's custom layer classes: findings in those the model uses belong to its report too. */
  customLayers?: readonly CustomLayerInfo[];
}

export function summarize(path: string, model: ModelNode): ModelSummary {
  return {
    id: model.id,
    name: model.name,
    uri: pathToUri(path),
    range: { start: model.range.start, end: model.range.end },
    intent: model.intent.kind,
  };
}

/** The checkpoint for a model: its `@checkpoint` tag, else the `lipschitzLens.checkpoints` setting. */
export function checkpointOf(target: AuditTarget): string | undefined {
  const configured = target.settings.checkpoints[target.model.name];
  if (target.model.checkpoint) return target.model.checkpoint;
  if (configured) return isAbsolute(configured) ? configured : join(target.folder, configured);
  return undefined;
}

/** What the worker needs to find and probe the model; undefined with a reason when it cannot be loaded. */
export function toRequest(target: AuditTarget): { request?: WorkerAuditRequest; reason?: string } {
  const checkpoint = checkpointOf(target);
  const { model, settings } = target;
  const audited = staticAuditTarget(model);
  if (!checkpoint && !model.exportName) {
    return {
      reason:
        model.builtInside !== undefined
          ? `${model.name} is built inside ${model.builtInside}, which the audit loads through its export: audit ${model.builtInside}, or export a function that returns ${model.name}.`
          : `${model.name} is not exported, so the audit cannot load it: export it or the function that builds it (export function, module.exports = { ... }), or link a checkpoint with /** @checkpoint path */.`,
    };
  }
  const request: WorkerAuditRequest = {
    model: checkpoint
      ? { source: 'checkpoint', path: checkpoint, name: model.name }
      : {
          source: 'module',
          file: target.path,
          exportName: model.exportName!,
          name: model.name,
          ...(model.auditArgs ? { args: model.auditArgs as JsonValue[] } : {}),
        },
    // The JSDoc hints the CLI honours too, so editor and CI audit the same thing.
    ...(model.inputShape ? { inputShape: model.inputShape } : {}),
    range: model.range,
    blockRanges: blockRanges(model),
    // Unnamed layers get tfjs's generated names, so they are matched by position as well.
    blockRangesInOrder: audited.blockRanges,
    // The linter's intent decides the probes and the verdict, as in the CLI.
    intent: audited.intent,
    ...(target.findings ? { lint: modelLint(model, target.findings, target.customLayers) } : {}),
    staticBounds: staticView(target),
    // The folder the CLI audits this file in too, so both resolve the same tfjs and pick the same backend.
    cwd: auditFolder(target.path),
    backend: settings.backend,
    budgetSeconds: settings.probes.budgetSeconds,
    memoryCapMB: settings.probes.memoryCapMB,
    points: settings.probes.points,
    seed: settings.probes.seed,
    ...(settings.probes.probes.length > 0 ? { probes: settings.probes.probes } : {}),
    ...(Object.keys(settings.probes.options).length > 0 ? { options: settings.probes.options } : {}),
  };
  return { request };
}

/** The static bounds the report keeps: per block, and the whole model's (a critic's guarantee). */
function staticView(target: AuditTarget): ReportStaticBounds {
  const model = staticModelBound(target.model, target.bounds);
  return { blocks: staticBlockBounds(target.model, target.bounds), ...(model ? { model } : {}) };
}

/** Runtime block names are the layers' `name` configs; where the source sets one, findings can point at it. */
export function blockRanges(model: ModelNode): Record<string, SourceRange> {
  const out: Record<string, SourceRange> = {};
  for (const c of model.body.children) {
    const layer = c.kind === 'block' ? c.instance : c;
    const name = layer?.kind === 'layer' ? layer.config.name : undefined;
    if (typeof name === 'string' && layer) out[name] = layer.range;
  }
  return out;
}

function keyOf(path: string, modelName: string): string {
  // Model ids are counters that shift as the file is edited; the file and name survive edits.
  return `${path}#${modelName}`;
}

export class AuditService {
  private trusted: boolean;
  private readonly latest = new Map<string, AuditOutcome>();
  private lastKey: string | undefined;
  /** One per audit request in flight: dispose() aborts them all. */
  private readonly running = new Set<AbortController>();
  /** Across requests: three requests at once would otherwise start three workers. */
  private readonly queue = new AuditQueue();

  constructor(
    trusted: boolean,
    private readonly log: (level: 'error' | 'warn' | 'info', message: string) => void,
  ) {
    this.trusted = trusted;
  }

  /** On shutdown: aborts every audit, running or queued; runAudit kills each worker's process group. */
  dispose(): void {
    for (const controller of this.running) controller.abort();
  }

  setTrusted(trusted: boolean): void {
    this.trusted = trusted;
  }

  isTrusted(): boolean {
    return this.trusted;
  }

  reportFor(path: string, modelName: string): Report | undefined {
    return this.latest.get(keyOf(path, modelName))?.report;
  }

  lastOutcome(path?: string, modelName?: string): AuditOutcome | undefined {
    if (path !== undefined && modelName !== undefined) return this.latest.get(keyOf(path, modelName));
    if (path !== undefined) {
      return [...this.latest.entries()].reverse().find(([k]) => k.startsWith(`${path}#`))?.[1];
    }
    return this.lastKey === undefined ? undefined : this.latest.get(this.lastKey);
  }

  /** Audits the targets one after another, each taking a slot of the queue while its worker runs. */
  async audit(
    targets: readonly AuditTarget[],
    progress: WorkDoneProgressReporter,
    token: CancellationToken,
  ): Promise<AuditResult> {
    if (!this.trusted) {
      // Loading the model runs the workspace's code: never without trust.
      throw new ResponseError(
        UNTRUSTED_ERROR,
        'Lipschitz Lens does not run workspace code in an untrusted workspace. Trust the workspace to audit models.',
      );
    }
    const controller = new AbortController();
    this.running.add(controller);
    const sub = token.onCancellationRequested(() => controller.abort());
    const outcomes: AuditOutcome[] = [];
    progress.begin('Lipschitz Lens audit', 0, plural(targets.length, 'model'), true);
    try {
      for (const [i, target] of targets.entries()) {
        if (controller.signal.aborted) break;
        const report = (fraction: number, message: string): void => {
          const pct = Math.round(((i + Math.min(1, Math.max(0, fraction))) / targets.length) * 100);
          progress.report(pct, `${target.model.name}: ${message}`);
        };
        this.queue.setLimit(target.settings.concurrentAudits);
        let release: () => void;
        try {
          release = await this.queue.acquire(controller.signal, (ahead) =>
            report(0, `waiting for ${plural(ahead, 'audit')}`),
          );
        } catch {
          break; // cancelled while waiting: no worker was started
        }
        try {
          outcomes.push(await this.auditOne(target, report, controller.signal));
        } finally {
          release();
        }
      }
    } finally {
      sub.dispose();
      this.running.delete(controller);
      progress.done();
    }
    if (token.isCancellationRequested)
      throw new ResponseError(LSPErrorCodes.RequestCancelled, 'audit cancelled');
    return { outcomes };
  }

  private async auditOne(
    target: AuditTarget,
    report: (fraction: number, message: string) => void,
    signal: AbortSignal,
  ): Promise<AuditOutcome> {
    const model = summarize(target.path, target.model);
    const staticBounds = staticBlockBounds(target.model, target.bounds);
    const { request, reason } = toRequest(target);
    if (!request)
      return { model, staticBounds, error: reason, configuration: { kind: 'export', message: reason! } };
    const started = Date.now();
    // "probe i of n: <title> — ~N s left in this probe", as the CLI prints it.
    const clock = new ProgressClock();
    try {
      const result = await runAudit(request, {
        signal,
        onProgress: (p: AuditProgress) => report(progressFraction(p), clock.line(p)),
      });
      if (signal.aborted) return { model, staticBounds, report: result, cancelled: true, error: 'cancelled' };
      const outcome: AuditOutcome = { model, report: result, staticBounds };
      const configuration = configurationProblem(target.model, result.error);
      if (configuration) Object.assign(outcome, { error: configuration.message, configuration });
      // No silent fallback: a probe that left the audit's backend is in the output channel too.
      for (const p of result.probes)
        if (p.backend?.fallback)
          this.log(
            'warn',
            `audit of ${target.model.name}: probe ${p.id} ran on ${p.backend.name} instead of ${p.backend.fallback.from}: ${p.backend.fallback.reason}`,
          );
      this.remember(target, outcome);
      this.log(
        'info',
        `audit of ${target.model.name} finished in ${Date.now() - started} ms: ${result.status}`,
      );
      return outcome;
    } catch (e) {
      if (signal.aborted) return { model, cancelled: true, error: 'cancelled' };
      this.log('error', `audit of ${target.model.name} failed: ${describe(e)}`);
      return { model, error: e instanceof Error ? e.message : String(e) };
    }
  }

  private remember(target: AuditTarget, outcome: AuditOutcome): void {
    const key = keyOf(target.path, target.model.name);
    this.latest.delete(key); // re-insert so map order is recency order
    this.latest.set(key, outcome);
    this.lastKey = key;
  }
}

/** The worker's configuration error in the editor's terms: the quick fix the server offers, no CLI flag. */
export function configurationProblem(
  model: ModelNode,
  error: Report['error'],
): ConfigurationProblem | undefined {
  if (error?.configuration === 'input-shape')
    return {
      kind: 'input-shape',
      // A tag is there but unreadable (the quick fix's placeholder not filled in): say what to write in it.
      message:
        model.inputShapeError !== undefined
          ? `The input shape of ${model.name} is unknown: ${model.inputShapeError}.`
          : `The input shape of ${model.name} is unknown: add /** @inputShape [...] */ above it (quick fix "${ADD_INPUT_SHAPE}").`,
    };
  if (error?.configuration === 'export' || error?.configuration === 'factory-args')
    return { kind: error.configuration, message: error.message };
  return undefined;
}

/** Overall fraction of one model's audit: probes run in sequence, each reporting its own fraction. */
export function progressFraction(p: AuditProgress): number {
  return p.count > 0 ? (p.index + Math.min(1, Math.max(0, p.fraction))) / p.count : 0;
}
