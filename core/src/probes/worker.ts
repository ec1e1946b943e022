/**
 * The probe worker: a forked Node process per audit (bundled as dist/server/probe-worker.js), the leader of its
 * own process group. It loads the model with the user's tfjs, runs the probes and sends one `result` message.
 * The parent kills the group on cancel, at the time budget and when it exits; the watchdog thread kills it when
 * the parent is gone or the memory cap is passed, so nothing here guards against a model that never returns.
 */
import { AUDIT_DEFAULTS, isToWorker, type AuditRequest, type FromWorker } from '../protocol/worker-messages';
import { buildReport } from '../report/build';
import type { AuditSettings, ConfigurationKind, ReportError } from '../report/schema';
import { InputShapeUnknownError, toProbeTarget } from './adapt';
import { loadSample, normalData, type ProbeData } from './data';
import { ExportNotFoundError, FactoryArgsError, loadModel } from './load-model';
import { Rng } from './rng';
import { intentOf, outsideIntent, provenanceOf } from './provenance';
import { DEFAULT_SETTINGS, isProbeId, PROBE_IDS, type ProbeId, type ProbeSettings } from './probe';
import { runProbes } from './run-probes';
import { killOwnGroup, startWatchdog } from './watchdog';

/** `--parent-pid N --memory-cap-mb N` from run-audit.ts; a worker started by hand guards against its own parent. */
function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const n = i < 0 ? NaN : Number(process.argv[i + 1]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

// First, before any message can make the model's module load.
startWatchdog({
  parentPid: numberArg('--parent-pid', process.ppid),
  memoryCapMB: numberArg('--memory-cap-mb', AUDIT_DEFAULTS.memoryCapMB),
});

const controller = new AbortController();

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
    } else process.send(message, () => resolve());
  });
}

/** The configuration an error says is missing, when it is one of those (the model was never run). */
function configurationOf(e: unknown): ConfigurationKind | undefined {
  if (e instanceof InputShapeUnknownError) return 'input-shape';
  if (e instanceof ExportNotFoundError) return 'export';
  if (e instanceof FactoryArgsError) return 'factory-args';
  return undefined;
}

function describe(e: unknown): { message: string; detail?: string } {
  if (e instanceof Error)
    return e.stack === undefined ? { message: e.message } : { message: e.message, detail: e.stack };
  return { message: String(e) };
}

/** Known numeric/string overrides only: a typo in an option should not silently do nothing. */
function settingsFrom(request: AuditRequest): { settings: Partial<ProbeSettings>; unknown: string[] } {
  const settings: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(request.options ?? {})) {
    if (k in DEFAULT_SETTINGS && typeof v === typeof DEFAULT_SETTINGS[k as keyof ProbeSettings])
      settings[k] = v;
    else unknown.push(k);
  }
  return { settings: settings as Partial<ProbeSettings>, unknown };
}

async function run(request: AuditRequest, startedAt: number): Promise<void> {
  const requested = request.probes ?? [...PROBE_IDS];
  const badIds = requested.filter((p) => !isProbeId(p));
  const probes = requested.filter(isProbeId) as ProbeId[];
  const { settings, unknown } = settingsFrom(request);
  const seed = request.seed ?? 0;
  const points = request.points ?? 16;
  const auditSettings: AuditSettings = {
    probes,
    seed,
    points,
    budgetSeconds: request.budgetSeconds,
    data: request.sample ?? 'standard normal',
    options: { ...DEFAULT_SETTINGS, ...settings },
  };
  const modelName =
    request.model.name ?? (request.model.source === 'module' ? request.model.file : request.model.path);
  const identity = {
    name: modelName,
    source: request.model.source,
    ...(request.range ? { range: request.range } : {}),
  };
  const fail = async (error: ReportError, hasInverse?: boolean): Promise<void> => {
    await send({
      type: 'result',
      report: buildReport({
        model: identity,
        intent: intentOf(request, hasInverse),
        provenance: provenanceOf(request, points),
        settings: auditSettings,
        probes: [],
        startedAt,
        error,
      }),
    });
  };
  if (badIds.length > 0 || unknown.length > 0) {
    const parts = [
      badIds.length > 0 ? `unknown probes: ${badIds.join(', ')} (known: ${PROBE_IDS.join(', ')})` : '',
      unknown.length > 0 ? `unknown options: ${unknown.join(', ')}` : '',
    ];
    return fail({ phase: 'load', message: parts.filter(Boolean).join('; ') });
  }
  let loaded;
  let target;
  let data: ProbeData;
  try {
    await send({
      type: 'progress',
      progress: { probe: 'load', index: -1, count: probes.length, fraction: 0, message: 'loading the model' },
    });
    // tfjs draws an unseeded initialiser's seed from Math.random: seeded here (this process runs only this
    // audit), fresh weights repeat run to run as the report's seed promises, including layers built lazily later.
    const weightsRng = new Rng(seed).fork('Math.random');
    Math.random = () => weightsRng.next();
    loaded = await loadModel(request);
    const sample = request.sample === undefined ? undefined : loadSample(request.sample);
    target = toProbeTarget(
      loaded.resolved.tf,
      loaded.value,
      loaded.identity.name,
      request.inputShape ?? sample?.shape.slice(1),
    );
    data = sample ?? normalData(points, target.inputShape, seed);
  } catch (e) {
    const d = describe(e);
    const configuration = configurationOf(e);
    return fail({
      phase: 'load',
      // A missing setting is not a failure to load: its message says what to declare.
      message: configuration ? d.message : `Could not load the model: ${d.message}`,
      ...(configuration ? { configuration } : {}),
      ...(d.detail && !configuration ? { detail: d.detail } : {}),
    });
  }
  const { tf } = loaded.resolved;
  auditSettings.data = data.description;
  const model = {
    ...loaded.identity,
    ...(request.range ? { range: request.range } : {}),
    inputShape: target.inputShape,
  };
  if (target.blocks) Object.assign(model, { blocks: target.blocks.map((b) => b.name) });
  const blockRanges = { ...request.blockRanges };
  const inOrder = request.blockRangesInOrder;
  // Positional matching is only sound when the static and run-time block lists agree in length.
  if (target.blocks && inOrder && inOrder.length === target.blocks.length)
    target.blocks.forEach((b, i) => (blockRanges[b.name] ??= inOrder[i]!));
  // Keep a little of the budget to build and send the report before the parent's deadline.
  const reserve = Math.min(2000, request.budgetSeconds * 100);
  const x = tf.tensor(data.values, data.shape);
  let outputShape: number[] | undefined;
  try {
    const y = tf.tidy(() => target.forward(tf.slice(x, 0, 1)));
    outputShape = y.shape.slice(1);
    y.dispose();
  } catch (e) {
    x.dispose();
    return fail(
      {
        phase: 'load',
        message: `The model failed on an input of shape [1, ${target.inputShape.join(', ')}]: ${describe(e).message}`,
      },
      target.inverse !== undefined,
    );
  }
  const intent = intentOf(request, target.inverse !== undefined);
  const results = await runProbes(target, x, {
    tf,
    probes,
    settings,
    seed,
    deadline: startedAt + request.budgetSeconds * 1000 - reserve,
    signal: controller.signal,
    onProgress: (progress) => void send({ type: 'progress', progress }),
    notApplicable: (id) => outsideIntent(intent, id),
  });
  x.dispose();
  const stopped = results.find((r) => r.status === 'timeout' || r.status === 'cancelled');
  const error: ReportError | undefined =
    stopped === undefined
      ? undefined
      : stopped.status === 'timeout'
        ? {
            phase: 'timeout',
            message: `The time budget of ${request.budgetSeconds} s ran out during ${stopped.id}; later figures are missing.`,
          }
        : { phase: 'cancelled', message: `Cancelled during ${stopped.id}.` };
  const blockNames = target.blocks?.map((b) => b.name);
  const lint = request.lint?.map(({ blockIndex, ...f }) => {
    // Static and run-time blocks are matched by position, only when their counts agree (as for ranges); else
    // the block is named as the static rows name it (the code's name, or block_<n>).
    const name =
      blockIndex === undefined
        ? undefined
        : blockNames !== undefined && inOrder?.length === blockNames.length
          ? blockNames[blockIndex]
          : (request.staticBounds?.blocks[blockIndex]?.label ?? `block_${blockIndex + 1}`);
    return name === undefined ? f : { ...f, block: name };
  });
  const report = buildReport({
    model: { ...model, ...(outputShape ? { outputShape } : {}) },
    ...(lint ? { lint } : {}),
    ...(request.staticBounds ? { staticBounds: request.staticBounds } : {}),
    intent,
    provenance: provenanceOf(request, data.shape[0] ?? points),
    backend: loaded.resolved.info,
    settings: auditSettings,
    probes: results,
    startedAt,
    ...(error ? { error } : {}),
    sources: {
      ...(request.range ? { model: request.range } : {}),
      ...(Object.keys(blockRanges).length > 0 ? { blocks: blockRanges } : {}),
    },
  });
  await send({ type: 'result', report });
}

process.on('message', (m: unknown) => {
  if (!isToWorker(m)) return;
  if (m.type === 'cancel') controller.abort();
  else
    run(m.request, m.startedAt)
      .catch(async (e: unknown) => send({ type: 'error', ...describe(e) }))
      .finally(() => process.exit(0));
});
// The parent's IPC channel closed (it exited or was killed): nobody will read a report, so stop now, and with
// the model's own processes, which nobody else would end (the watchdog dies with this process).
process.on('disconnect', killOwnGroup);
for (const event of ['uncaughtException', 'unhandledRejection'] as const)
  process.on(event, (e: unknown) => {
    void send({ type: 'error', ...describe(e) }).finally(() => process.exit(1));
  });
