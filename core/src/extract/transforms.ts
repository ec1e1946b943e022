/**
 * Transforms written without classes. An object literal with an output function (`forward`, else `call`) and an
 * inverse (`inverse`, `backward` or `reverse`) is an instance of a hand-written invertible transform, whether it
 * is written directly or returned by a factory (`function makeCoupling(opts) { const net = ...; return {
 * forward(x) {...}, inverse(y) {...} }; }`); so is each call of a module-level function pair
 * `xForward(params, x)` / `xInverse(params, y)`.
 *
 * Each kind (object literal, or pair) is read once, like a layer class: its output function by the CallReader
 * (wiring, scale, ops), under a synthetic class named after the variable or factory (in `FileIr.customLayers`,
 * with an inverse). Each instance is a block whose `instance` is a custom LayerNode and whose children are what
 * its functions close over (layers and models: the conditioner or branch), so the rules read it as they read a
 * hand-written coupling class. A kind whose wiring is not recognised (a composite: a flow whose forward chains
 * other transforms and layers) is traced on a symbolic input, where each call of another transform's output
 * function stands for that transform. What an instance closes over is read by transform-parts.ts; the flows and
 * models transforms make, by transform-models.ts.
 */
import { basename, extname } from 'node:path';
import { ts } from 'ts-morph';
import type { BlockNode, CustomLayerInfo, IrNode, LayerNode, SourceRange } from '../ir/model-ir';
import { CallReader } from './call-reader';
import { boundName, type NameAt } from './class-name';
import { GraphReader, outputTensor, reaches, tensorApply, tensorInput, type TNode } from './functional';
import type { Interp } from './interpreter';
import { INVERSE_NAMES, isInverse } from './inverse-names';
import type { ModuleCtx } from './module';
import { closedParts, layersIn, rangeKey } from './transform-parts';
import { functionName } from './unreached';
import type { Env, Val } from './values';

type FnVal = Extract<Val, { t: 'fn' }>;
type ObjectVal = Extract<Val, { t: 'object' }>;
type Body = ts.FunctionLikeDeclaration & { body: ts.ConciseBody };

/** Output functions, in order of preference, and inverses of a transform object. */
const OUTPUT_NAMES = ['forward', 'call'];
/** Parameter names that say "the data" when a transform's functions take several. */
const DATA_NAME = /^(x|y|z|u|v|h|xs|inputs?|data|tensor)$/i;
/** Parts of a result that are log-determinant terms, not the output: `{ y, logDet }`. */
const LOG_DET = /log|det|jac|ldj/i;

/** One kind of transform: an object literal, or a function pair (keyed by its forward function). */
export interface TransformKind {
  info: CustomLayerInfo;
  mod: ModuleCtx;
  /** Which parameter of the output function is the data. */
  dataIndex: number;
  /** The first instance made: the kind's own model when no model uses it. */
  first?: LayerNode | BlockNode;
  /** A function pair is read from its functions even when nothing calls them with data. */
  pair?: boolean;
}

/** An instance: the node standing for it, and which of its functions computes the output. */
export interface TransformUse {
  node: LayerNode | BlockNode;
  output: string;
  dataIndex: number;
}

function withBody(v: Val | undefined): (FnVal & { decl: Body }) | undefined {
  if (v?.t !== 'fn') return undefined;
  const d = v.decl as ts.FunctionLikeDeclaration;
  return d.body ? (v as FnVal & { decl: Body }) : undefined;
}

function member(
  obj: ObjectVal,
  names: string[],
  test: (name: string, fn: ts.SignatureDeclaration) => boolean = () => true,
): [string, FnVal & { decl: Body }] | undefined {
  for (const name of names) {
    const f = withBody(obj.props.get(name));
    if (f && test(name, f.decl)) return [name, f];
  }
  return undefined;
}

function paramNames(d: ts.SignatureDeclaration): string[] {
  return d.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
}

/**
 * The data parameter of `forward(params, x)` / `inverse(params, y)`: the first whose name differs between the
 * output function and the inverse (the other parameters are passed alike), else one named like data, else the
 * first.
 */
function dataParamIndex(out: ts.SignatureDeclaration, inv: ts.SignatureDeclaration): number {
  const a = paramNames(out);
  const b = paramNames(inv);
  if (a.length <= 1) return 0;
  const differs = a.findIndex((n, i) => i < b.length && n !== b[i]);
  if (differs >= 0) return differs;
  const named = a.findIndex((n) => DATA_NAME.test(n));
  return named >= 0 ? named : 0;
}

/** The variable or property an object literal is bound to, else the function returning it. */
export function objectName(literal: ts.Node): NameAt {
  const bound = boundName(literal);
  if (bound) return bound;
  for (let n: ts.Node | undefined = literal.parent; n; n = n.parent) {
    if (!ts.isFunctionLike(n)) continue;
    const f = functionName(n);
    if (f) return { name: f.name, node: f.node };
  }
  return { name: 'transform', node: literal };
}

function newKind(
  interp: Interp,
  key: ts.Node,
  mod: ModuleCtx,
  named: NameAt,
  dataIndex: number,
): TransformKind {
  const s = interp.session;
  // Two kinds written under the same name (two literals in one factory): the later ones carry their line.
  const taken = s.transformNames.get(named.name);
  const line = mod.range(named.node).start.line + 1;
  const className = taken && taken !== key ? `${named.name}@${line}` : named.name;
  s.transformNames.set(className, key);
  const info: CustomLayerInfo = {
    className,
    range: mod.range(named.node),
    declaration: mod.range(key),
    ops: [],
    addsInput: false,
    hasInverse: true,
    claimsInvertible: false,
    weighted: false,
    layers: [],
  };
  const kind: TransformKind = { info, mod, dataIndex };
  s.transformKinds.set(key, kind);
  s.classes.set(key, info);
  return kind;
}

/** Reads the kind's output function once: ops, wiring, scale. */
function readOutput(
  interp: Interp,
  kind: TransformKind,
  out: FnVal & { decl: Body },
  methods: Map<string, ts.FunctionLikeDeclaration>,
): void {
  const input = out.decl.parameters[kind.dataIndex];
  new CallReader(interp, out.closure.mod, out.closure, methods, kind.info).read(out.decl, input);
}

/** A fresh copy of parts for one instance (every node its own id), as class instances get. */
function copyParts(interp: Interp, nodes: IrNode[]): IrNode[] {
  const s = interp.session;
  return nodes.map((n): IrNode => {
    if (n.kind === 'layer') return { ...n, id: s.id('l') };
    if (n.kind === 'op') return { ...n, id: s.id('o') };
    return { ...n, id: s.id('b'), children: copyParts(interp, n.children) };
  });
}

/** The node an instance stands for: its wiring over its parts, or the traced body of a composite. */
export function instanceNode(
  interp: Interp,
  kind: TransformKind,
  range: SourceRange,
  parts: IrNode[],
  trace?: () => IrNode[] | undefined,
): LayerNode | BlockNode {
  const s = interp.session;
  const info = kind.info;
  const layer: LayerNode = {
    kind: 'layer',
    id: s.id('l'),
    layerType: info.className,
    origin: 'custom',
    config: {},
    range,
    customClass: info.className,
  };
  if (kind.mod.file !== s.mainFile) {
    layer.customClassFile = kind.mod.file;
    if (s.callSites.length > 0) layer.via = s.callSites[0];
  }
  const traced = info.wiring ? undefined : trace?.();
  if (!info.wiring && !traced && parts.length === 0) return layer;
  const block: BlockNode = {
    kind: 'block',
    id: s.id('b'),
    wiring: info.wiring ?? (traced ? 'sequence' : 'graph'),
    children: traced ?? copyParts(interp, parts),
    range,
    instance: layer,
  };
  if (info.scale) block.scale = info.scale;
  if (info.scaleAnchor) block.anchor = info.scaleAnchor;
  if (info.scaleGains) block.scaleGains = info.scaleGains;
  return block;
}

/**
 * Runs a composite's output function on a symbolic input and reads back what it computes, if that accounts for
 * every layer the transform holds (otherwise the graph was only partly read and stays unknown).
 */
function traceComposite(
  interp: Interp,
  out: FnVal & { decl: Body },
  dataIndex: number,
  self: Val,
  parts: IrNode[],
): IrNode[] | undefined {
  const input = tensorInput();
  const args = out.decl.parameters.map((_, i): Val | undefined =>
    i === dataIndex ? { t: 'tensor', tn: input } : undefined,
  );
  const result = interp.callFn(out, args, out.decl, out.closure, self);
  const tn = outputTensor(result, input.id);
  if (!tn) return undefined;
  const body = new GraphReader(interp.session).sequence(tn);
  const traced = new Set(layersIn(body).map((l) => rangeKey(l.range)));
  if (body.length === 0 || !layersIn(parts).every((l) => traced.has(rangeKey(l.range)))) return undefined;
  return body;
}

/** The `{` of an object literal: where its instances sit (the whole literal would underline its body). */
function braceRange(mod: ModuleCtx, literal: ts.Node): SourceRange {
  const r = mod.range(literal);
  return { ...r, end: { line: r.start.line, character: r.start.character + 1 } };
}

/** Called for every object literal evaluated: makes it a transform instance when it is one. */
export function noteTransformObject(interp: Interp, obj: ObjectVal, literal: ts.Node, env: Env): void {
  if (obj.props.size < 2) return;
  const out = member(obj, OUTPUT_NAMES);
  const inv = member(obj, INVERSE_NAMES, isInverse);
  if (!out || !inv) return;
  const s = interp.session;
  const parts = closedParts(interp, [...obj.props.values()], obj, literal);
  let kind = s.transformKinds.get(literal);
  if (!kind) {
    kind = newKind(interp, literal, env.mod, objectName(literal), dataParamIndex(out[1].decl, inv[1].decl));
    kind.info.layers = layersIn(parts);
    const methods = new Map<string, ts.FunctionLikeDeclaration>();
    for (const [name, v] of obj.props) {
      const f = withBody(v);
      if (f) methods.set(name, f.decl);
    }
    readOutput(interp, kind, out[1], methods);
  }
  const k = kind;
  const node = instanceNode(interp, k, braceRange(env.mod, literal), parts, () =>
    traceComposite(interp, out[1], k.dataIndex, obj, parts),
  );
  k.first ??= node;
  s.transformUses.set(obj, { node, output: out[0], dataIndex: k.dataIndex });
}

/** A module-level function's name and its identifier. */
function topLevelName(decl: ts.Node): ts.Identifier | undefined {
  if (ts.isFunctionDeclaration(decl) && decl.name) return decl.name;
  const p = decl.parent;
  if ((ts.isArrowFunction(decl) || ts.isFunctionExpression(decl)) && ts.isVariableDeclaration(p))
    return ts.isIdentifier(p.name) ? p.name : undefined;
  return undefined;
}

const FORWARD = /forward/i;

/** `madeForward` -> `madeInverse`, `forward_step` -> `inverse_step`. */
function inverseName(name: string): string {
  return name
    .replace(/forward/g, 'inverse')
    .replace(/Forward/g, 'Inverse')
    .replace(/FORWARD/g, 'INVERSE');
}

/** The kind of a module-level function pair `xForward` / `xInverse`, when `f` is the forward one. */
export function pairKind(interp: Interp, f: FnVal): TransformKind | undefined {
  const s = interp.session;
  const known = s.pairs.get(f.decl);
  if (known !== undefined) return known ?? undefined;
  s.pairs.set(f.decl, null);
  const mod = f.closure.mod;
  const id = f.closure === mod.top ? topLevelName(f.decl) : undefined;
  const fwd = withBody(f);
  if (!id || !fwd || !FORWARD.test(id.text)) return undefined;
  const partner = inverseName(id.text);
  if (!mod.decls.has(partner)) return undefined;
  const inv = withBody(interp.lookupTop(partner, mod, id));
  if (!inv || inv.closure !== mod.top) return undefined;
  const stem = id.text.replace(/_?forward_?/i, '') || basename(mod.file, extname(mod.file));
  const kind = newKind(interp, f.decl, mod, { name: stem, node: id }, dataParamIndex(fwd.decl, inv.decl));
  kind.pair = true;
  s.pairs.set(f.decl, kind);
  readOutput(
    interp,
    kind,
    fwd,
    new Map<string, ts.FunctionLikeDeclaration>([
      ['forward', fwd.decl],
      ['inverse', inv.decl],
    ]),
  );
  return kind;
}

/** Every function pair declared at the top of `mod`, read even when nothing calls it with data. */
export function readPairs(interp: Interp, mod: ModuleCtx): void {
  for (const [name, decl] of mod.decls) {
    if (!FORWARD.test(name) || !mod.decls.has(inverseName(name))) continue;
    const f = interp.lookupTop(name, mod, decl);
    if (f.t === 'fn') pairKind(interp, f);
  }
}

/**
 * The result of a transform's output function with every tensor computed from the data replaced by `tn` (the
 * transform applied to the data). When none was (the function computes what the extractor cannot follow), the
 * output itself is `tn`: the whole result, the first item, or the first part that is not a log-det term.
 */
function standIn(v: Val, input: number, tn: TNode): Val {
  let replaced = false;
  const go = (x: Val, depth: number): Val => {
    if (x.t === 'tensor' && reaches(x.tn, input)) {
      replaced = true;
      return { t: 'tensor', tn };
    }
    if (depth > 2) return x;
    if (x.t === 'array') return { t: 'array', items: x.items.map((i) => go(i, depth + 1)) };
    if (x.t === 'object' && !x.cls) {
      const props = new Map<string, Val>();
      for (const [k, p] of x.props) props.set(k, go(p, depth + 1));
      return x.partial === undefined ? { t: 'object', props } : { t: 'object', props, partial: x.partial };
    }
    return x;
  };
  const out = go(v, 0);
  if (replaced) return out;
  const applied: Val = { t: 'tensor', tn };
  if (out.t === 'array' && out.items.length > 0)
    return { t: 'array', items: [applied, ...out.items.slice(1)] };
  if (out.t === 'object' && !out.cls) {
    const main = [...out.props.keys()].find((k) => !LOG_DET.test(k));
    if (main !== undefined) out.props.set(main, applied);
    return main !== undefined ? out : applied;
  }
  return applied;
}

/**
 * A call of a user function. When it is a transform's output function (`step.forward(z)` on a transform
 * object, `madeForward(params, u)` of a pair) and the data is a tensor, it runs as usual and what it computes
 * from the data becomes the transform applied to the data, so a flow built on it reads as its chain of steps.
 */
export function callUser(
  interp: Interp,
  f: FnVal,
  args: Val[],
  site: ts.Node,
  env: Env,
  recv?: Val,
  method?: string,
): Val {
  const s = interp.session;
  const use = recv && s.transformKinds.size > 0 ? s.transformUses.get(recv) : undefined;
  const own = use && use.output === method ? use : undefined;
  const kind = own || !mayPair(f) ? undefined : pairKind(interp, f);
  if (!own && !kind) return interp.callFn(f, args, site, env, recv);
  const result = interp.callFn(f, args, site, env, recv);
  let node = own?.node;
  const dataIndex = own?.dataIndex ?? kind!.dataIndex;
  if (!node && kind && args[dataIndex]?.t === 'tensor') {
    const parts = closedParts(
      interp,
      args.filter((_, i) => i !== dataIndex),
    );
    node = instanceNode(interp, kind, env.mod.range(site), parts);
    kind.first ??= node;
  }
  const data = args[dataIndex];
  if (!node || data?.t !== 'tensor') return result;
  return standIn(result, data.tn.id, tensorApply(node, [data.tn]));
}

/**
 * `step.forward(x)` on one of several transform objects chosen on a path not known statically (branches.ts):
 * the choice of their instances applied to the data. Undefined when `recv` is no such choice.
 */
export function chosenTransform(interp: Interp, recv: Val, method: string, args: Val[]): Val | undefined {
  const use = interp.session.transformUses.get(recv);
  const data = use && use.output === method ? args[use.dataIndex] : undefined;
  if (!use || use.output !== method) return undefined;
  return data?.t === 'tensor' ? { t: 'tensor', tn: tensorApply(use.node, [data.tn]) } : undefined;
}

/** A module-level function whose name may make it half of a pair (cheap test before `pairKind`). */
function mayPair(f: FnVal): boolean {
  if (f.closure !== f.closure.mod.top) return false;
  const id = topLevelName(f.decl);
  return !!id && FORWARD.test(id.text);
}
