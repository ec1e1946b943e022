/**
 * Custom layer classes (`class X extends tf.layers.Layer`): what `call()` computes, read syntactically, and the
 * hand-written couplings and residual layers among them.
 */
import { ts } from 'ts-morph';
import type { BlockNode, CustomLayerInfo, IrNode, LayerNode, SourceRange } from '../ir/model-ir';
import { walk } from '../ir/model-ir';
import { CallReader } from './call-reader';
import { classNameOf } from './class-name';
import type { Interp } from './interpreter';
import { isInverse } from './inverse-names';
import { readMarks } from './jsdoc';
import { INVERTIBLE_LENS_LAYERS, lensLayerName, makeLayer, MERGE_LAYERS } from './layers';
import type { ModuleCtx } from './module';
import { runLayerSetup, traceOutput } from './plain-classes';
import type { Session } from './session';
import { Env, unknown, type Val } from './values';

type ClassVal = Extract<Val, { t: 'class' }>;

function hasMethod(decl: ts.ClassLikeDeclaration, name: string): boolean {
  return decl.members.some((m) => m.name && ts.isIdentifier(m.name) && m.name.text === name);
}

/**
 * Whether a class is a layer: it extends tfjs `Layer`, a project layer, or another layer class; or it is a
 * hand-written transform with a `forward` method (a flow or block written without tfjs's Layer); or it extends
 * something unknown and has a `call` method.
 */
export function isLayerClass(interp: Interp, cls: ClassVal, depth = 0): boolean {
  if (depth > 5) return false;
  const ext = cls.decl.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (ext) {
    const base = interp.eval(ext.expression, cls.closure ?? cls.mod.top);
    if (base.t === 'ns') return base.origin === 'lens' || /(^|\.)(Layer|RNN)$/.test(base.path);
    if (base.t === 'class' && base.decl !== cls.decl && isLayerClass(interp, base, depth + 1)) return true;
    if (base.t !== 'class' && hasMethod(cls.decl, 'call')) return true;
  }
  return hasMethod(cls.decl, 'forward');
}

const rangeKey = (r: SourceRange): string =>
  `${r.file}:${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`;

/**
 * Adds the layers the class's constructor and `build()` create through helpers (`this.net = residualNet(...)`,
 * `this.blocks = makeBlocks(4)`) to the ones written in the class; models built there are the class's parts,
 * not models of their own.
 */
function addSetupLayers(interp: Interp, cls: ClassVal, layers: LayerNode[]): Env | undefined {
  const s = interp.session;
  const firstLayer = s.layers.length;
  const firstModel = s.models.length;
  const env = runLayerSetup(interp, cls);
  const have = new Set(layers.map((l) => rangeKey(l.range)));
  for (const l of s.layers.slice(firstLayer)) {
    const key = rangeKey(l.range);
    // Layers of a class this one instantiates belong to that class (its instance is the layer here).
    if (s.layerDepth.get(l) !== s.classDepth) continue;
    if (have.has(key) || (l.origin === 'tfjs' && MERGE_LAYERS.has(l.layerType))) continue;
    have.add(key);
    layers.push(l);
  }
  for (const b of s.models.slice(firstModel)) s.ownedModels.add(b.node);
  return env;
}

/**
 * When `call`/`forward` has no wiring the call reader recognises, runs it on a symbolic input (on the instance
 * the setup made) and keeps the graph it computes as the class's body, if that graph uses every layer of the class:
 * `this.branches.reduce((h, g) => h.add(g.apply(h)), x)` is a chain of residual blocks, not an unknown graph.
 */
function traceBody(
  interp: Interp,
  info: CustomLayerInfo,
  decl: ts.Node,
  call: ts.FunctionLikeDeclaration,
  env: Env,
): void {
  const body = traceOutput(interp, call, env);
  if (!body) return;
  const traced = new Set<string>();
  for (const n of body) walk(n, (x) => x.kind === 'layer' && traced.add(rangeKey(x.range)));
  if ((info.layers ?? []).every((l) => traced.has(rangeKey(l.range))))
    interp.session.classBodies.set(decl, body);
}

/** A fresh copy of a traced body for one instance (every node its own id). */
function cloneBody(session: Session, nodes: IrNode[]): IrNode[] {
  return nodes.map((n): IrNode => {
    if (n.kind === 'layer') return { ...n, id: session.id('l') };
    if (n.kind === 'op') return { ...n, id: session.id('o') };
    return { ...n, id: session.id('b'), children: cloneBody(session, n.children) };
  });
}

/** The method that computes the layer's output: `call`, or `forward` for hand-written transforms. */
function outputMethod(
  methods: Map<string, ts.FunctionLikeDeclaration>,
): ts.FunctionLikeDeclaration | undefined {
  return methods.get('call') ?? methods.get('forward');
}

export function customInstance(interp: Interp, cls: ClassVal, args: Val[], node: ts.Node, env: Env): Val {
  const info = analyzeClass(interp, cls);
  if (!info) return unknown(env.mod.text(node), 'not a layer class', env.mod.range(node));
  const s = interp.session;
  const layer = makeLayer(s, env.mod, node, info.className, 'custom', args[0]);
  layer.customClass = info.className;
  if (cls.mod.file !== env.mod.file) layer.customClassFile = cls.mod.file;
  // A class with inner layers but no recognised wiring still carries them: as the body its output method was
  // traced to, else as a `graph` block (bounds unknown).
  const traced = info.wiring ? undefined : s.classBodies.get(cls.decl);
  if (!info.wiring && !info.layers?.length) return { t: 'layer', node: layer };
  const block: BlockNode = {
    kind: 'block',
    id: s.id('b'),
    wiring: info.wiring ?? (traced ? 'sequence' : 'graph'),
    children: traced ? cloneBody(s, traced) : (info.layers ?? []).map((l) => ({ ...l, id: s.id('l') })),
    range: layer.range,
    instance: layer,
  };
  if (info.scale) block.scale = info.scale;
  if (info.scaleAnchor) block.anchor = info.scaleAnchor;
  // The class's layers are written in its file; from this file they are reached through this `new`.
  if (env.mod.file === s.mainFile && cls.mod.file !== s.mainFile)
    walk(block, (n) => {
      if (n.kind === 'layer' && n !== layer && n.range.file !== s.mainFile) n.via ??= layer.range;
    });
  if (info.scaleGains) block.scaleGains = info.scaleGains;
  return { t: 'layer', node: block };
}

/** Reads a layer class once per extraction; undefined when it is not a layer class. */
export function analyzeClass(interp: Interp, cls: ClassVal): CustomLayerInfo | undefined {
  const cached = interp.session.classes.get(cls.decl);
  if (cached) return cached;
  if (!isLayerClass(interp, cls)) return undefined;
  const mod = cls.mod;
  const decl = cls.decl;
  const env = new Env(mod, cls.closure ?? mod.top);
  const methods = new Map<string, ts.FunctionLikeDeclaration>();
  for (const m of decl.members) {
    if (!m.name || !ts.isIdentifier(m.name)) continue;
    if (ts.isMethodDeclaration(m)) methods.set(m.name.text, m);
    else if (
      ts.isPropertyDeclaration(m) &&
      m.initializer &&
      (ts.isArrowFunction(m.initializer) || ts.isFunctionExpression(m.initializer))
    )
      methods.set(m.name.text, m.initializer);
  }
  const marks = readMarks(decl, mod.file);
  const named = classNameOf(decl);
  const info: CustomLayerInfo = {
    className: named.name,
    range: mod.range(named.node),
    declaration: mod.range(decl),
    ops: [],
    addsInput: false,
    hasInverse: [...methods].some(([name, fn]) => isInverse(name, fn)),
    claimsInvertible: marks.invertible || claimsInvertible(interp, decl, mod),
    weighted: false,
    layers: [],
  };
  interp.session.classes.set(decl, info);
  interp.session.classDepth++;
  try {
    readClassBody(interp, cls, env, methods, info);
  } finally {
    interp.session.classDepth--;
  }
  return info;
}

function readClassBody(
  interp: Interp,
  cls: ClassVal,
  env: Env,
  methods: Map<string, ts.FunctionLikeDeclaration>,
  info: CustomLayerInfo,
): void {
  const { decl, mod } = cls;
  const visit = (n: ts.Node): void => {
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === 'addWeight'
    )
      info.weighted = true;
    if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && createsLayer(interp, n, env)) {
      const v = interp.eval(n, env);
      if (v.t === 'layer' && v.node.kind === 'layer') info.layers!.push(v.node);
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(decl, visit);
  const instanceEnv = addSetupLayers(interp, cls, info.layers!);
  const call = outputMethod(methods);
  if (call?.body) new CallReader(interp, mod, env, methods, info).read(call);
  if (call?.body && !info.wiring && instanceEnv && info.layers!.length > 0)
    traceBody(interp, info, decl, call, instanceEnv);
}

function claimsInvertible(interp: Interp, decl: ts.ClassLikeDeclaration, mod: ModuleCtx): boolean {
  for (const h of decl.heritageClauses ?? []) {
    for (const t of h.types) {
      if (h.token === ts.SyntaxKind.ImplementsKeyword && /Invertible/.test(t.expression.getText(mod.sf)))
        return true;
      const base = interp.eval(t.expression, mod.top);
      if (
        base.t === 'ns' &&
        base.origin === 'lens' &&
        INVERTIBLE_LENS_LAYERS.has(lensLayerName(base.path) ?? '')
      )
        return true;
    }
  }
  return false;
}

function createsLayer(interp: Interp, n: ts.CallExpression | ts.NewExpression, env: Env): boolean {
  const callee = n.expression;
  if (!ts.isIdentifier(callee) && !ts.isPropertyAccessExpression(callee)) return false;
  if (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword)
    return false;
  const v = interp.eval(callee, env);
  if (v.t !== 'ns') return false;
  if (v.origin === 'lens') return lensLayerName(v.path) !== undefined;
  return /^layers\.[a-z]/.test(v.path) && ts.isCallExpression(n);
}
