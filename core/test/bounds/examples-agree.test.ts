/**
 * Hovers and lipschitzBounds() agree on every example (issue 10). For each file of examples/ that uses this
 * project's layers, the static calculus (what the hover shows) runs on the extracted IR, and the same module is
 * built at run time, as the audit builds it (bundled, on the cpu backend). Each layer of the IR is paired with the
 * run-time layer of the same type at the same position, and each model with its run-time value:
 * - a static number is a worst case over all weights, so the run-time bound from the current weights is <= it;
 * - a static `unbounded` allows a finite run-time bound only where the weights make it so: an affine coupling whose
 *   scale branch is constant (zero-initialised), which the coupling's specification gives a finite bound;
 * - a static `unknown` allows anything (listed in the table).
 * Each model is checked twice: with its fresh (initialised) weights, and with every trainable weight drawn from
 * N(0, 10^2), far from any initialisation, since a static bound must hold for all weights.
 * The run-time bound is the layer's lipschitzBounds(), a spectral layer's lipschitzConstant() (forward only), or
 * for a tfjs dense layer with a kernel constraint the certified norm of the constrained kernel (what every
 * training step leaves) times its activation's constant.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Bound, type BoundsMap, computeBounds, formatBound, type NodeBounds } from '../../src/bounds';
import { activationConstants } from '../../src/bounds/activations';
import { extractSource } from '../../src/extract';
import { type FileIr, type LayerNode, type ModelNode, walk } from '../../src/ir/model-ir';
import { certifiedDenseNorm } from '../../src/layers/spectral-norm';
import { loadModel } from '../../src/probes/load-model';

const root = join(__dirname, '..', '..', '..');
const examplesDir = join(root, 'examples');
const USES_LENS = /(from\s+|require\(\s*)['"]lipschitz-lens['"]/;
/** Relative slack for float32 weights read into float64 bounds. */
const SLACK = 1e-6;
/** Width used to build a sequential model that declares no input shape. */
const DEFAULT_WIDTH = 16;
function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return tsFiles(path);
      return name.endsWith('.ts') ? [path] : [];
    });
}

/** Examples that export a model and use this project, in the file or in a file it imports. */
function lensExamples(dir: string): { file: string; ir: FileIr }[] {
  return tsFiles(dir).flatMap((file) => {
    const ir = extractSource(readFileSync(file, 'utf8'), file);
    const uses = [file, ...(ir.reads ?? [])].some((f) => USES_LENS.test(readFileSync(f, 'utf8')));
    const exported = ir.models.some((m) => m.exportName !== undefined && m.api !== 'custom-layer');
    return uses && exported ? [{ file, ir }] : [];
  });
}

interface WeightBounds {
  forward: number | undefined;
  inverse: number | undefined;
  how: string;
}

type Fn = (...args: unknown[]) => unknown;
const method = (v: unknown, name: string): Fn | undefined => {
  const f = (v as Record<string, unknown> | null)?.[name];
  return typeof f === 'function' ? (f as Fn).bind(v) : undefined;
};

function className(layer: unknown): string {
  return (method(layer, 'getClassName')?.() as string | undefined) ?? (layer as object).constructor.name;
}

/** The run-time bound of one layer from its current weights, when it has one. */
function runtimeBounds(layer: unknown): WeightBounds | undefined {
  const bounds = method(layer, 'lipschitzBounds');
  if (bounds) {
    const b = bounds() as { forward: number; inverse: number };
    return { forward: b.forward, inverse: b.inverse, how: 'lipschitzBounds()' };
  }
  const constant = method(layer, 'lipschitzConstant');
  if (constant) return { forward: constant() as number, inverse: undefined, how: 'lipschitzConstant()' };
  if (layer instanceof tf.layers.Layer && className(layer) === 'Dense') {
    // tfjs stores a missing constraint as null.
    const constraint = (layer as unknown as { kernelConstraint: { apply(w: tf.Tensor): tf.Tensor } | null })
      .kernelConstraint;
    if (constraint === null) return undefined;
    const act = activationConstants(String(layer.getConfig()['activation'] ?? 'linear'))?.forward ?? 1;
    if (typeof act !== 'number') return undefined;
    const kernel = layer.getWeights()[0] as tf.Tensor2D;
    const sigma = tf.tidy(() => certifiedDenseNorm(constraint.apply(kernel) as tf.Tensor2D));
    return { forward: sigma * act, inverse: undefined, how: 'certified norm of the constrained kernel' };
  }
  return undefined;
}

/** The run-time layers of a Flow (blocks), a MultiScaleFlow (every level's steps) or a tf.LayersModel. */
function runtimeLayers(value: unknown): unknown[] {
  const v = value as { levels?: { steps: unknown[] }[]; blocks?: unknown[]; layers?: unknown[] };
  if (Array.isArray(v.levels)) return v.levels.flatMap((l) => l.steps);
  if (Array.isArray(v.blocks)) return v.blocks;
  if (Array.isArray(v.layers)) return v.layers.filter((l) => className(l) !== 'InputLayer');
  return [];
}

/**
 * The IR's layers in model order, without those a custom layer creates inside itself, each with the id its
 * static bound is stored under (a custom layer recognised as a coupling or residual: its block's).
 */
function irLayers(model: ModelNode): { node: LayerNode; boundsId: string }[] {
  const out: { node: LayerNode; boundsId: string }[] = [];
  walk(model.body, (n, ancestors) => {
    // An input placeholder has no weights and no bound (runtimeLayers drops it too).
    if (n.kind !== 'layer' || n.layerType === 'inputLayer') return;
    const parent = ancestors[ancestors.length - 1];
    const own = parent?.instance === n;
    if (ancestors.some((a) => a.instance !== undefined && !(own && a === parent))) return;
    out.push({ node: n, boundsId: own ? parent.id : n.id });
  });
  return out;
}

/** Builds the weights: data-dependent initialisation where the model has it, else one forward pass. */
function build(value: unknown, inputShape: number[] | undefined): string {
  const model = value as {
    built?: boolean;
    inputs?: tf.SymbolicTensor[];
    build?: (shape: (number | null)[]) => void;
  };
  if (value instanceof tf.LayersModel || value instanceof tf.Sequential) {
    if (model.built) return 'as built';
    model.build!([null, ...(inputShape ?? [DEFAULT_WIDTH])]);
    return inputShape ? 'built' : `built for width ${DEFAULT_WIDTH} (no input shape declared)`;
  }
  const shape = inputShape ?? (value as { inputShape?: number[] }).inputShape;
  if (shape === undefined) return 'not built: no input shape';
  const x = tf.randomNormal([8, ...shape], 0, 1, 'float32', 3);
  const init = method(value, 'initialize');
  if (init) init(x);
  else tf.dispose(method(value, 'forward')?.(x) as tf.Tensor);
  x.dispose();
  return init ? 'initialised on N(0, 1) data' : 'one forward pass';
}

/** An affine coupling whose scale branch is constant: the one case where static unbounded meets finite weights. */
function constantScale(layer: unknown): boolean {
  const net = (
    layer as {
      net?: { kernels: tf.Tensor[]; rank: number; lipschitz(from: number, to: number): number } | null;
    }
  ).net;
  if (className(layer) !== 'AffineCoupling' || !net) return false;
  const last = net.kernels[net.kernels.length - 1]!;
  const half = (last.shape[net.rank === 2 ? 1 : 3] as number) / 2;
  return net.lipschitz(0, half) === 0;
}

interface Row {
  example: string;
  node: string;
  /** Static forward / inverse, as the hover shows them. */
  static: string;
  /** Run-time forward / inverse with fresh weights, and where they come from. */
  runtime: string;
  /** The same with random weights. */
  random: string;
  verdict: string;
}
const rows: Row[] = [];

/** Checks one direction; returns the verdict for the table (throws on a disagreement). */
function agree(
  where: string,
  staticBound: Bound,
  runtime: number | undefined,
  finiteByWeights: () => boolean,
): string {
  if (runtime === undefined) return 'no run-time bound';
  if (typeof staticBound === 'number') {
    assert.ok(
      runtime <= staticBound * (1 + SLACK),
      `${where}: run-time bound ${runtime} above the static bound ${staticBound}`,
    );
    return runtime === staticBound ? 'equal' : '<=';
  }
  if (staticBound === 'unbounded') {
    if (!Number.isFinite(runtime)) return 'both unbounded';
    assert.ok(
      finiteByWeights(),
      `${where}: static unbounded but lipschitzBounds() finite (${runtime}) without a constant scale`,
    );
    return 'finite: constant scale branch';
  }
  return 'static unknown';
}

const fmt = (x: number | undefined): string =>
  x === undefined ? '-' : !Number.isFinite(x) ? 'Infinity' : x >= 1e6 ? x.toExponential(2) : formatBound(x);
const pair = (b: { forward: Bound; inverse: Bound }): string =>
  `${formatBound(b.forward)} / ${formatBound(b.inverse)}`;
/** One verdict for both directions when they agree, else both. */
const verdicts = (f: string, i: string): string => (f === i ? f : `${f}; inverse: ${i}`);
const DIRS = ['forward', 'inverse'] as const;

interface Paired {
  node: LayerNode;
  boundsId: string;
  /** Position among the IR layers of its type. */
  index: number;
  runtime: unknown;
}

/** IR layers and run-time layers of the same type, paired by position; types whose counts differ are listed. */
function pairUp(
  ours: { node: LayerNode; boundsId: string }[],
  theirs: unknown[],
): { pairs: Paired[]; unpaired: string[] } {
  const byType = new Map<string, { ir: typeof ours; rt: unknown[] }>();
  const group = (k: string) => byType.get(k) ?? byType.set(k, { ir: [], rt: [] }).get(k)!;
  for (const l of ours) group(l.node.layerType.toLowerCase()).ir.push(l);
  for (const l of theirs) group(className(l).toLowerCase()).rt.push(l);
  const pairs: Paired[] = [];
  const unpaired: string[] = [];
  for (const [type, g] of byType) {
    if (g.ir.length !== g.rt.length)
      unpaired.push(`${type}: ${g.ir.length} in the IR, ${g.rt.length} at run time`);
    else g.ir.forEach((l, index) => pairs.push({ ...l, index, runtime: g.rt[index] }));
  }
  return { pairs, unpaired };
}

/** Every trainable weight of the layers drawn from N(0, 10^2) (seeded): far from any initialisation. */
function randomizeWeights(layers: unknown[]): void {
  let seed = 11;
  for (const layer of layers) {
    if (!(layer instanceof tf.layers.Layer)) continue;
    for (const w of layer.trainableWeights)
      w.write(tf.randomNormal(w.shape as number[], 0, 10, 'float32', seed++));
  }
}

interface Checked {
  node: string;
  static: string;
  runtime: string;
  verdict: string;
}

/** Every pair and the model, with the weights as they stand; throws on a disagreement. */
function check(
  label: string,
  bounds: BoundsMap,
  modelStatic: NodeBounds,
  pairs: Paired[],
  value: unknown,
): Checked[] {
  const out: Checked[] = [];
  const explained = new Set<string>();
  for (const { node, boundsId, index, runtime } of pairs) {
    const rt = runtimeBounds(runtime);
    const sb = bounds.get(boundsId);
    assert.ok(sb, `${label}: no static bound for ${node.layerType}`);
    const [f, v] = DIRS.map((dir) =>
      agree(`${label} ${node.layerType}[${index}] ${dir}`, sb[dir], rt?.[dir], () => constantScale(runtime)),
    );
    if (f!.startsWith('finite') || v!.startsWith('finite')) explained.add(boundsId);
    out.push({
      node: `${node.layerType}[${index}] line ${node.range.start.line + 1}`,
      static: pair(sb),
      runtime: rt ? `${fmt(rt.forward)} / ${fmt(rt.inverse)} (${rt.how})` : '-',
      verdict: verdicts(f!, v!),
    });
  }
  // The model: its lipschitzBounds() (Flow, MultiScaleFlow) against the hover's model bound. A finite bound
  // under a static unbounded one needs every unbounded layer explained by its weights.
  const whole = method(value, 'lipschitzBounds')?.() as { forward: number; inverse: number } | undefined;
  const [f, v] = DIRS.map((dir) => {
    const unbounded = pairs.filter((p) => bounds.get(p.boundsId)?.[dir] === 'unbounded');
    return agree(
      `${label} ${dir}`,
      modelStatic[dir],
      whole?.[dir],
      () => unbounded.length > 0 && unbounded.every((p) => explained.has(p.boundsId)),
    );
  });
  out.push({
    node: `model ${label.split(' ').pop()!}`,
    static: pair(modelStatic),
    runtime: whole ? `${fmt(whole.forward)} / ${fmt(whole.inverse)}` : '-',
    verdict: verdicts(f!, v!),
  });
  return out;
}

const examples = lensExamples(examplesDir);

describe('hovers and lipschitzBounds() agree on every example', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  after(() => {
    const cols = ['example', 'node', 'static f / i', 'run time f / i', 'random weights f / i', 'verdict'];
    const cells = rows.map((r) => [r.example, r.node, r.static, r.runtime, r.random, r.verdict]);
    const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
    const line = (r: readonly string[]): string =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    console.log(['', line(cols), ...cells.map(line)].join('\n'));
  });

  it('finds the examples that use this project', () => {
    assert.ok(examples.length >= 10, examples.map((e) => e.file).join(', '));
  });

  for (const { file, ir } of examples) {
    const name = relative(examplesDir, file);
    it(name, async () => {
      const bounds = computeBounds(ir);
      const models = ir.models.filter((m) => m.exportName !== undefined && m.api !== 'custom-layer');
      for (const model of models) {
        const label = `${name} ${model.name}`;
        const modelStatic = bounds.get(model.id)!;
        // Every example builds: a model that tfjs or the layers reject is a broken example.
        const { value } = await loadModel({
          model: {
            source: 'module',
            file,
            exportName: model.exportName!,
            ...(model.auditArgs ? { args: model.auditArgs as never } : {}),
          },
          cwd: root,
          backend: 'cpu',
          budgetSeconds: 60,
        });
        const built = build(value, model.inputShape);
        const { pairs, unpaired } = pairUp(irLayers(model), runtimeLayers(value));
        for (const why of unpaired)
          rows.push({
            example: name,
            node: why,
            static: '-',
            runtime: '-',
            random: '-',
            verdict: 'not paired',
          });
        // Fresh weights, then every trainable weight drawn from N(0, 10^2): a static bound holds for all weights.
        const fresh = check(label, bounds, modelStatic, pairs, value);
        randomizeWeights(pairs.map((p) => p.runtime));
        const random = check(label, bounds, modelStatic, pairs, value);
        fresh.forEach((r, i) => {
          const v =
            r.verdict === random[i]!.verdict ? r.verdict : `${r.verdict}; random: ${random[i]!.verdict}`;
          rows.push({
            example: name,
            node: r.node,
            static: r.static,
            runtime: r.node.startsWith('model') && r.runtime !== '-' ? `${r.runtime} (${built})` : r.runtime,
            random: random[i]!.runtime,
            verdict: v,
          });
        });
      }
    });
  }
});
