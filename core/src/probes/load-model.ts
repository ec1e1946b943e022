/**
 * Gets the model inside the worker: bundles the user's module with esbuild (their packages stay external so
 * their own copies resolve) and evaluates it as if it lived beside the source file, or loads a checkpoint
 * with this project's layers registered. Decides which tfjs copy runs so that only one is ever used.
 */
import { parseJsonQuietly, type ReadLimits, readContained } from '../bounds/checkpoint-access';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import type { AuditRequest, BackendPreference, ModelSource } from '../protocol/worker-messages';
import type { ModelIdentity } from '../report/schema';
import { bundledTf, folderRequire, userTf, type ResolvedTf } from './resolve-tf';
import type { Tf } from './target';

export interface LoadedModel {
  resolved: ResolvedTf;
  value: unknown;
  identity: ModelIdentity;
}

/** Node's internals used to evaluate a bundle as a module of the user's folder (not in @types/node). */
interface ModuleInternals {
  new (id: string): ModuleInstance;
  _nodeModulePaths(dir: string): string[];
}
interface ModuleInstance {
  filename: string;
  paths: string[];
  exports: unknown;
  require(id: string): unknown;
  _compile(code: string, filename: string): void;
}

const TFJS_IDS = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
];

function canResolve(cwd: string, id: string): boolean {
  try {
    folderRequire(cwd).resolve(id);
    return true;
  } catch {
    return false;
  }
}

/** This project's layers (registers the serializable classes on the tfjs they import: the bundled one). */
function ourLayers(): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, only on this path
  return require('../layers');
}

async function chooseTf(
  cwd: string,
  preference: BackendPreference,
  needsOurLayers: boolean,
): Promise<ResolvedTf> {
  if (needsOurLayers)
    return bundledTf(preference, [
      'lipschitz-lens is not installed in the workspace: its layers and tfjs come from this tool',
    ]);
  return (
    (await userTf(cwd, preference)) ??
    bundledTf(preference, ['no tfjs found in the workspace: using the bundled copy'])
  );
}

interface Bundle {
  code: string;
  externals: string[];
}

type Esbuild = typeof import('esbuild');

/**
 * esbuild on demand (checkpoints need no bundler), through createRequire so bundlers leave it alone: its API
 * must stay inside its package to find its binary. The workspace's copy first, then esbuild-wasm beside the
 * bundled worker (the .vsix ships no node_modules), then the copies a source checkout has.
 */
export function loadEsbuild(cwd: string, candidates = esbuildCandidates(cwd)): Esbuild {
  const errors: string[] = [];
  for (const load of candidates) {
    try {
      return load() as Esbuild;
    } catch (e) {
      errors.push(e instanceof Error ? e.message.split('\n')[0]! : String(e));
    }
  }
  throw new Error(`esbuild is needed to load TS/JS modules and was not found (${errors.join('; ')})`);
}

function esbuildCandidates(cwd: string): Array<() => unknown> {
  const own = createRequire(__filename);
  return [
    () => folderRequire(cwd)('esbuild'),
    () => own(join(__dirname, 'esbuild-wasm', 'lib', 'main.js')),
    () => own('esbuild'),
    () => own('esbuild-wasm'),
  ];
}

async function bundle(file: string, cwd: string): Promise<Bundle> {
  const esbuild = loadEsbuild(cwd);
  const result = await esbuild.build({
    entryPoints: [file],
    absWorkingDir: cwd,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    metafile: true,
    sourcemap: 'inline',
    logLevel: 'silent',
    // Every package import stays a require: the user's tfjs and lipschitz-lens must be their own copies.
    packages: 'external',
    external: [...TFJS_IDS, 'lipschitz-lens', 'lipschitz-lens/*'],
  });
  const code = result.outputFiles[0]?.text ?? '';
  const externals = Object.values(result.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external === true).map((i) => i.path),
  );
  return { code, externals };
}

/** Evaluates the bundle as a module sitting beside `file`, with some requires answered by `redirects`. */
function evaluate(code: string, file: string, redirects: Map<string, () => unknown>): unknown {
  const M = Module as unknown as ModuleInternals;
  const filename = join(dirname(file), `${basename(file)}.lipschitz-lens-audit.cjs`);
  const mod = new M(filename);
  mod.filename = filename;
  mod.paths = M._nodeModulePaths(dirname(file));
  const original = mod.require.bind(mod);
  mod.require = (id: string) => redirects.get(id)?.() ?? original(id);
  mod._compile(code, filename);
  return mod.exports;
}

/** A configuration problem of the audit (not of the model): which export to audit is not clear. */
export class ExportNotFoundError extends Error {}

function pickExport(
  exports: unknown,
  source: Extract<ModelSource, { source: 'module' }>,
): { name: string; value: unknown } {
  // `module.exports = createModel` (or `= model`): a CommonJS module whose exports object is the value itself,
  // which `require` gives as its default. esbuild marks an ES module's exports with __esModule.
  const isValue =
    typeof exports === 'function' ||
    (typeof exports === 'object' &&
      exports !== null &&
      !('__esModule' in exports) &&
      !isPlainObject(exports));
  if (isValue && (source.exportName === undefined || source.exportName === 'default'))
    return { name: 'default', value: exports };
  const all =
    (typeof exports === 'object' || typeof exports === 'function') && exports !== null
      ? (exports as Record<string, unknown>)
      : {};
  const names = Object.keys(all).filter((k) => k !== '__esModule');
  const wanted =
    source.exportName ?? (names.includes('default') ? 'default' : names.length === 1 ? names[0] : undefined);
  if (wanted === undefined)
    throw new ExportNotFoundError(
      `${source.file} exports ${names.length === 0 ? 'nothing' : names.join(', ')}: choose one with --export`,
    );
  if (!(wanted in all))
    throw new ExportNotFoundError(
      `${source.file} has no export '${wanted}' (exports: ${names.join(', ') || 'none'})`,
    );
  return { name: wanted, value: all[wanted] };
}

/**
 * A factory that takes parameters failed when the audit called it without any (`createModel(inputShape)`): the
 * arguments are configuration the user gives (`@auditArgs`), not a fault of the model.
 */
export class FactoryArgsError extends Error {
  constructor(name: string, parameters: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `${name} takes ${parameters === 1 ? 'a parameter' : `${parameters} parameters`} and failed when called without (${why}): declare its arguments above it with /** @auditArgs [...] */.`,
    );
  }
}

/** `{ a, b }` as `module.exports = { ... }` writes it, as opposed to a model or class instance. */
function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/**
 * What the worker reads of a checkpoint: tfjs holds the weights as float32 (no float64 copy as in the static
 * bounds), so 1 GB of shards is the limit; model.json as for the static bounds.
 */
const WORKER_LIMITS: ReadLimits = { modelJsonBytes: 4 * 2 ** 20, weightsBytes: 2 ** 30 };

/**
 * A minimal file IOHandler on the chosen tfjs: model.json plus the weight files its manifest names. The checks of
 * the static bounds' reader, as far as they fit a trusted audit: regular files only (a FIFO would hang the
 * worker), capped, and the weight files inside model.json's own folder (tfjs writes them there), so
 * `weightsManifest.paths` cannot reach other files. model.json itself may be anywhere the user pointed the audit.
 */
function checkpointHandler(tf: Tf, path: string): Parameters<Tf['loadLayersModel']>[0] {
  return {
    load: async () => {
      const anywhere = { roots: null };
      const text = (await readContained(path, anywhere, WORKER_LIMITS.modelJsonBytes)).bytes.toString('utf8');
      const json = parseJsonQuietly(text, path) as {
        modelTopology: object;
        weightsManifest?: Array<{
          paths: string[];
          weights: Array<Parameters<Tf['io']['decodeWeights']>[1][number]>;
        }>;
      };
      const manifest = json.weightsManifest ?? [];
      const buffers: ArrayBuffer[] = [];
      const beside = { roots: [dirname(path)], rootsName: "model.json's folder" };
      let budget = WORKER_LIMITS.weightsBytes;
      for (const p of manifest.flatMap((g) => g.paths)) {
        const b = (await readContained(join(dirname(path), p), beside, budget)).bytes;
        budget -= b.byteLength;
        // Buffer.alloc gives a plain ArrayBuffer (never a SharedArrayBuffer), which is what tfjs takes.
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: manifest.flatMap((g) => g.weights),
        weightData: tf.io.concatenateArrayBuffers(buffers),
      };
    },
  };
}

export async function loadModel(request: AuditRequest): Promise<LoadedModel> {
  const src = request.model;
  const cwd = resolve(request.cwd);
  const preference = request.backend ?? 'auto';
  const userHasLens = canResolve(cwd, 'lipschitz-lens');
  if (src.source === 'checkpoint') {
    const path = resolve(cwd, src.path);
    const resolved = await chooseTf(cwd, preference, !userHasLens);
    // Registering the layer classes on the same tfjs that deserialises the model.
    if (userHasLens) folderRequire(cwd)('lipschitz-lens');
    else ourLayers();
    const model = await resolved.tf.loadLayersModel(checkpointHandler(resolved.tf, path));
    const name = src.name ?? model.name;
    return {
      resolved,
      value: model,
      identity: { name, source: 'checkpoint', file: path, parameters: model.countParams() },
    };
  }
  const file = resolve(cwd, src.file);
  const { code, externals } = await bundle(file, cwd);
  const importsLens = externals.some((e) => e === 'lipschitz-lens' || e.startsWith('lipschitz-lens/'));
  const resolved = await chooseTf(cwd, preference, importsLens && !userHasLens);
  const redirects = new Map<string, () => unknown>();
  if (resolved.info.bundled) {
    // The user's code must see the same tfjs the probes use, and our layers where it has none.
    for (const id of TFJS_IDS) redirects.set(id, () => resolved.module);
    redirects.set('lipschitz-lens', ourLayers);
  }
  const exports = evaluate(code, file, redirects);
  const picked = pickExport(exports, src);
  let value = picked.value;
  if (typeof value === 'function' && !isClass(value)) {
    // An exported function is a factory; it may be async.
    const factory = value as (...a: unknown[]) => unknown;
    const args = src.args ?? [];
    try {
      value = await factory(...args);
    } catch (e) {
      if (args.length === 0 && factory.length > 0)
        throw new FactoryArgsError(src.name ?? picked.name, factory.length, e);
      throw e;
    }
  }
  const identity: ModelIdentity = {
    name: src.name ?? picked.name,
    source: 'module',
    file,
    exportName: picked.name,
  };
  const params = (value as { countParams?: () => number } | null)?.countParams;
  if (typeof params === 'function') identity.parameters = params.call(value);
  return { resolved, value, identity };
}
