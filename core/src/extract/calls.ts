/** Calls and `new`: tfjs and project namespaces, layer `apply`, `model.add`, array helpers, user functions. */
import { ts } from 'ts-morph';
import type { IrNode, OpNode } from '../ir/model-ir';
import { boundName } from './class-name';
import { analyzeClass, customInstance } from './custom-layers';
import { tensorApply, tensorInput, tensorOpaque, type TNode } from './functional';
import type { Interp } from './interpreter';
import { lensLayerName, makeLayer, MERGE_LAYERS } from './layers';
import { modelBody } from './models';
import { instantiate } from './plain-classes';
import { noteList } from './transform-models';
import { callUser, chosenTransform } from './transforms';
import { Env, foldMath, num, prop, unknown, type ModelBuild, type Val } from './values';

/** Unknown values that flow into tensor positions become one opaque tensor each, so x + f(x) still matches. */
const opaque = new WeakMap<Val, TNode>();

function asTensor(v: Val): TNode | undefined {
  if (v.t === 'tensor') return v.tn;
  if (v.t !== 'unknown') return undefined;
  let tn = opaque.get(v);
  if (!tn) {
    tn = tensorOpaque();
    opaque.set(v, tn);
  }
  return tn;
}

function evalArgs(interp: Interp, args: readonly ts.Expression[], env: Env): Val[] {
  const out: Val[] = [];
  for (const a of args) {
    if (ts.isSpreadElement(a)) {
      const v = interp.eval(a.expression, env);
      if (v.t === 'array') out.push(...v.items);
      else out.push(v);
    } else out.push(interp.eval(a, env));
  }
  return out;
}

/** tfjs functions whose arguments are tensor data: `tensor`, `tensor2d`, `buffer`, ... */
const TENSOR_DATA = /^(tensor[1-6]?d?|buffer)$/;

const GLOBALS = new Set(['Math', 'Array', 'Object', 'JSON', 'Number', 'console', 'String']);

/**
 * A call the extractor cannot read (`loadData().then(cb)`, `button.addEventListener('click', cb)`,
 * `setTimeout(cb)`, `new Promise(cb)`): the functions passed to it are callbacks, read right there (the first
 * time), in their scope as it stands, with unknown arguments. Its result stays unknown.
 */
function unreadCall(interp: Interp, args: Val[], node: ts.Node, env: Env): Val {
  // Once per callback: a handler registered in a loop, or by a helper called many times, is read once.
  for (const a of args)
    if (a.t === 'fn' && !interp.session.executed.has(a.decl))
      interp.callFn(
        a,
        a.decl.parameters.map(() => undefined),
        node,
        env,
      );
  return unknown(env.mod.text(node), 'call not read statically', env.mod.range(node));
}

/**
 * `sizes.map((u) => tf.layers.dense({ units: u }))` over a list not known statically: the callback is read once,
 * as the body of a loop over such a list is, and its result stands for the list's elements.
 */
function unknownListMap(
  interp: Interp,
  f: Extract<Val, { t: 'fn' }>,
  method: string,
  node: ts.Node,
  env: Env,
): Val {
  interp.session.note('List not known statically: its callback was read once.', env.mod.range(node));
  const item = unknown('item', 'an element of a list not known statically');
  const out = interp.callFn(f, [item, unknown('index', 'not known statically')], node, env);
  return { t: 'array', items: method === 'flatMap' && out.t === 'array' ? out.items : [out] };
}

/** `Array.isArray(x)`, when what x is, is known. */
function isArray(v: Val | undefined): Val {
  if (!v || v.t === 'unknown') return unknown('Array.isArray', 'argument not known statically');
  return { t: 'data', v: v.t === 'array' };
}

export function evalCall(interp: Interp, node: ts.CallExpression, env: Env): Val {
  const mod = env.mod;
  const callee = node.expression;
  // `await import('@tensorflow/tfjs')`, `import('./blocks')`: the namespace or module (await is transparent).
  if (callee.kind === ts.SyntaxKind.ImportKeyword) {
    const spec = node.arguments[0];
    const imp = spec && ts.isStringLiteral(spec) ? mod.importsFor(spec.text) : undefined;
    return imp ?? unknown(mod.text(node), 'module not read');
  }
  if (ts.isIdentifier(callee) && callee.text === 'require' && !env.find('require')) {
    const spec = node.arguments[0];
    if (spec && ts.isStringLiteral(spec)) {
      const imp = mod.importsFor(spec.text);
      // `module.exports = createModel` in the required file: require() returns that value.
      if (imp?.t === 'module' && imp.mod.exportsValue) return interp.exported(imp.mod, 'default', node, mod);
      if (imp) return imp;
    }
    return unknown(mod.text(node), 'module not read');
  }
  if (ts.isPropertyAccessExpression(callee)) {
    const method = callee.name.text;
    const recv = interp.eval(callee.expression, env);
    // `tf.tensor2d(rows.map((r) => cols.map(...)))`: tensor data is never model structure, and reading it can
    // cost more than the whole file; its callbacks are still read once, as unreached functions.
    if (recv.t === 'ns' && recv.origin === 'tfjs' && !recv.path && TENSOR_DATA.test(method))
      return { t: 'call', callee: method, args: [], range: mod.range(node) };
    const args = evalArgs(interp, node.arguments, env);
    // `import('@tensorflow/tfjs').then((tf) => ...)`: the callback gets the namespace or module.
    const cb = args[0];
    if (method === 'then' && cb?.t === 'fn' && ((recv.t === 'ns' && !recv.path) || recv.t === 'module'))
      return interp.callFn(cb, [recv], node, env);
    switch (recv.t) {
      case 'ns':
        return callNs(interp, recv.origin, recv.path ? `${recv.path}.${method}` : method, args, node, env);
      case 'module':
      case 'object': {
        const f = interp.member(recv, method, callee, env);
        if (f.t === 'fn') return callUser(interp, f, args, node, env, recv, method);
        return chosenTransform(interp, recv, method, args) ?? unreadCall(interp, args, node, env);
      }
      case 'layer':
        if (method === 'apply' || (isCustom(recv.node) && CUSTOM_OUTPUT.has(method)))
          return applyNode(interp, recv.node, args[0], node, env);
        break;
      case 'model':
        if (method === 'add') {
          recv.m.items.push(...args);
          return unknown('undefined', 'undefined');
        }
        if (method === 'apply')
          return applyNode(interp, modelBody(interp.session, recv.m), args[0], node, env);
        // `flow.toModel(shape)` wraps the same blocks in a tf.LayersModel: still this model.
        if (method === 'toModel' && recv.m.api === 'flow') return recv;
        break;
      case 'array':
        return arrayMethod(interp, recv, method, args, node, env);
      case 'tensor':
        return tensorOp(interp, method, [recv, ...args], node, env);
      case 'unknown':
        if (recv.text === 'Math')
          return foldMath(method, args) ?? unknown(mod.text(node), 'not known statically');
        if (recv.text === 'Array' && method === 'from') return arrayFrom(interp, args, node, env);
        if (recv.text === 'Array' && method === 'isArray') return isArray(args[0]);
        if (GLOBALS.has(recv.text)) return unknown(mod.text(node), 'not known statically');
        if ((method === 'map' || method === 'flatMap') && args[0]?.t === 'fn')
          return unknownListMap(interp, args[0], method, node, env);
        break;
    }
    return unreadCall(interp, args, node, env);
  }
  const f = interp.eval(callee, env);
  const args = evalArgs(interp, node.arguments, env);
  if (f.t === 'fn') return callUser(interp, f, args, node, env);
  if (f.t === 'ns') return callNs(interp, f.origin, f.path, args, node, env);
  return unreadCall(interp, args, node, env);
}

export function evalNew(interp: Interp, node: ts.NewExpression, env: Env): Val {
  const cls = interp.eval(node.expression, env);
  const args = evalArgs(interp, node.arguments ?? [], env);
  if (cls.t === 'ns') return callNs(interp, cls.origin, cls.path, args, node, env);
  if (cls.t === 'class')
    return analyzeClass(interp, cls)
      ? customInstance(interp, cls, args, node, env)
      : instantiate(interp, cls, args, node, env);
  unreadCall(interp, args, node, env);
  return unknown(env.mod.text(node), 'class not known statically', env.mod.range(node));
}

function callNs(
  interp: Interp,
  origin: 'tfjs' | 'lens',
  path: string,
  args: Val[],
  node: ts.Node,
  env: Env,
): Val {
  const s = interp.session;
  const mod = env.mod;
  const newModel = (api: ModelBuild['api'], items: Val[], levels?: true): Val => {
    const m: ModelBuild = { api, node, mod, range: mod.range(node), items, ...(levels ? { levels } : {}) };
    s.models.push(m);
    return { t: 'model', m };
  };
  const listOf = (v: Val | undefined): Val[] => (v?.t === 'array' ? v.items : v ? [v] : []);
  if (origin === 'lens') {
    const name = path.split('.').pop() ?? path;
    if (name === 'Flow') {
      const a = args[0];
      return newModel('flow', a?.t === 'object' ? listOf(prop(a, 'layers')) : listOf(a));
    }
    // `new MultiScaleFlow({ levels: [[...steps], ...] })`: one item per level, kept apart (the bounds compose
    // level by level). The squeezes and the factored-out halves belong to the flow itself (isometries), so only
    // the user's steps are linted.
    if (name === 'MultiScaleFlow') return newModel('flow', listOf(prop(args[0], 'levels')), true);
    const layerType = lensLayerName(path);
    if (layerType) return { t: 'layer', node: makeLayer(s, mod, node, layerType, 'lipschitz-lens', args[0]) };
    return { t: 'call', callee: name, args, range: mod.range(node) };
  }
  if (path === 'sequential') return newModel('sequential', listOf(prop(args[0], 'layers')));
  if (path === 'model') {
    const v = newModel('functional', []);
    if (v.t === 'model') v.m.outputs = prop(args[0], 'outputs') ?? unknown('outputs', 'no outputs given');
    return v;
  }
  if (path === 'input' || path === 'layers.input') return { t: 'tensor', tn: tensorInput() };
  if (path === 'tidy') {
    const f = args.find((a) => a.t === 'fn');
    return f?.t === 'fn'
      ? interp.callFn(f, [], node, env)
      : unknown(mod.text(node), 'tidy without a function');
  }
  const parts = path.split('.');
  if (parts[0] === 'layers' && parts.length === 2 && /^[a-z]/.test(parts[1]!))
    return { t: 'layer', node: makeLayer(s, mod, node, parts[1]!, 'tfjs', args[0]) };
  const tensorish = args.some(
    (a) => a.t === 'tensor' || (a.t === 'array' && a.items.some((i) => i.t === 'tensor')),
  );
  if (tensorish && parts.length === 1) return tensorOp(interp, path, args, node, env);
  return { t: 'call', callee: path, args, range: mod.range(node) };
}

/** `tf.exp(h)`, `h.exp()`, `tf.add(x, h)`: an op node on the tensors among the arguments. */
function tensorOp(interp: Interp, op: string, args: Val[], node: ts.Node, env: Env): Val {
  const opNode: OpNode = { kind: 'op', id: interp.session.id('o'), op, range: env.mod.range(node) };
  const inputs: TNode[] = [];
  for (const a of args) {
    const list = a.t === 'array' ? a.items : [a];
    for (const x of list) {
      // Unknown operands of add count as tensors (a helper's parameter), so x + f(x) is still a residual.
      const tn = x.t === 'tensor' || op === 'add' ? asTensor(x) : undefined;
      if (tn) inputs.push(tn);
    }
  }
  return { t: 'tensor', tn: tensorApply(opNode, inputs, declaredAs(node)) };
}

/** The variable a call's result is declared as (`const block0_in = tf.add(x, h)`); an assignment names nothing. */
function declaredAs(call: ts.Node): string | undefined {
  const bound = boundName(call);
  return bound !== undefined && ts.isVariableDeclaration(bound.node.parent) ? bound.name : undefined;
}

function applyNode(interp: Interp, node: IrNode, input: Val | undefined, site: ts.Node, env: Env): Val {
  const isMerge = node.kind === 'layer' && node.origin === 'tfjs' && MERGE_LAYERS.has(node.layerType);
  const list = input?.t === 'array' ? input.items : input ? [input] : [];
  const inputs = list.flatMap((v) => {
    const tn = asTensor(v);
    return tn ? [tn] : [];
  });
  if (!isMerge && inputs.length > 1)
    interp.session.note('A layer applied to several inputs: read as a merge.', env.mod.range(site));
  return { t: 'tensor', tn: tensorApply(node, inputs, declaredAs(site)) };
}

function arrayMethod(
  interp: Interp,
  arr: Extract<Val, { t: 'array' }>,
  method: string,
  args: Val[],
  node: ts.Node,
  env: Env,
): Val {
  switch (method) {
    case 'push':
    case 'unshift':
      if (method === 'push') arr.items.push(...args);
      else arr.items.unshift(...args);
      noteList(interp, arr, node);
      return { t: 'data', v: arr.items.length };
    case 'concat':
      return listAt(interp, [...arr.items, ...args.flatMap((a) => (a.t === 'array' ? a.items : [a]))], node);
    case 'slice': {
      const a = num(args[0]);
      const b = num(args[1]);
      return { t: 'array', items: arr.items.slice(a, b) };
    }
    case 'reverse':
      arr.items.reverse();
      return arr;
    case 'flat':
      return { t: 'array', items: arr.items.flatMap((i) => (i.t === 'array' ? i.items : [i])) };
    case 'map':
    case 'flatMap':
    case 'forEach': {
      const f = args[0];
      if (f?.t !== 'fn') break;
      const out = arr.items.map((item, i) => interp.callFn(f, [item, { t: 'data', v: i }], node, env));
      if (method === 'forEach') return unknown('undefined', 'undefined');
      return listAt(
        interp,
        method === 'flatMap' ? out.flatMap((o) => (o.t === 'array' ? o.items : [o])) : out,
        node,
      );
    }
    case 'reduce': {
      const f = args[0];
      if (f?.t !== 'fn' || args.length < 2) break;
      // `layers.reduce((x, l) => l.apply(x), input)`: the usual way to chain a list of layers.
      return arr.items.reduce(
        (acc, item, i) => interp.callFn(f, [acc, item, { t: 'data', v: i }], node, env),
        args[1]!,
      );
    }
  }
  return unknown(env.mod.text(node), `array.${method} not read statically`, env.mod.range(node));
}

/** `Array.from({length: n}, (_, i) => block(i))`. */
function arrayFrom(interp: Interp, args: Val[], node: ts.Node, env: Env): Val {
  const n = num(prop(args[0], 'length'));
  const f = args[1];
  if (n === undefined || n > 256) {
    interp.session.note('Array length not known statically: one element was read.', env.mod.range(node));
    return { t: 'array', items: f?.t === 'fn' ? [interp.callFn(f, [], node, env)] : [] };
  }
  if (f?.t !== 'fn')
    return { t: 'array', items: Array.from({ length: n }, () => unknown('undefined', 'undefined')) };
  return listAt(
    interp,
    Array.from({ length: n }, (_, i) =>
      interp.callFn(f, [unknown('undefined', 'undefined'), { t: 'data', v: i }], node, env),
    ),
    node,
  );
}

/** A list made by a call (`map`, `Array.from`, `concat`): a candidate flow when it holds transforms. */
function listAt(interp: Interp, items: Val[], node: ts.Node): Val {
  const list: Val = { t: 'array', items };
  noteList(interp, list, node);
  return list;
}

/** Methods that compute a custom layer's (or hand-written transform's) output besides `apply`. */
const CUSTOM_OUTPUT = new Set(['call', 'forward']);

function isCustom(node: IrNode): boolean {
  const layer = node.kind === 'layer' ? node : node.kind === 'block' ? node.instance : undefined;
  return layer?.origin === 'custom';
}
