/**
 * Abstract values the extractor computes while reading model code. Plain data ends up in layer configs; the
 * other kinds (namespaces, layers, symbolic tensors, models, functions) only live during one extraction.
 */
import type { ts } from 'ts-morph';
import type { BlockNode, ConfigValue, IrNode, LayerNode, SourceRange, UnknownValue } from '../ir/model-ir';
import type { TNode } from './functional';
import type { ModuleCtx } from './module';

/** Where a namespace comes from: the tfjs packages or this project's package. */
export type NsOrigin = 'tfjs' | 'lens';

/** A model under construction; `items` grows with `model.add(...)`. */
export interface ModelBuild {
  api: 'sequential' | 'functional' | 'flow';
  /** The creating call. */
  node: ts.Node;
  mod: ModuleCtx;
  range: SourceRange;
  items: Val[];
  outputs?: Val;
  /** A MultiScaleFlow: each of `items` is one level's list of steps. */
  levels?: true;
}

export type Val =
  | { t: 'data'; v: number | string | boolean | null }
  | { t: 'call'; callee: string; args: Val[]; range: SourceRange }
  | { t: 'array'; items: Val[] }
  /**
   * `partial`: the text of a spread that could not be resolved, so keys may be missing. `cls`: the object is an
   * instance of this user class (not a layer class), the `this` of its constructor and methods.
   */
  | { t: 'object'; props: Map<string, Val>; partial?: string; cls?: string }
  | { t: 'ns'; origin: NsOrigin; path: string }
  /** An un-applied layer instance; a block for a custom layer recognised as a coupling/residual. */
  | { t: 'layer'; node: LayerNode | BlockNode }
  | { t: 'tensor'; tn: TNode }
  | { t: 'model'; m: ModelBuild }
  | { t: 'fn'; decl: ts.SignatureDeclaration; closure: Env }
  /** `closure`: the scope the class was declared in, when not the module's top level. */
  | { t: 'class'; decl: ts.ClassLikeDeclaration; mod: ModuleCtx; closure?: Env }
  /** `import * as blocks from './blocks'`. */
  | { t: 'module'; mod: ModuleCtx }
  | { t: 'unknown'; text: string; reason: string; range?: SourceRange };

/** A lexical scope. Lookups that miss every scope fall back to the module's top-level declarations. */
export class Env {
  readonly vars = new Map<string, Val>();
  constructor(
    readonly mod: ModuleCtx,
    readonly parent?: Env,
  ) {}

  find(name: string): Env | undefined {
    if (this.vars.has(name)) return this;
    return this.parent?.find(name);
  }
}

export function unknown(text: string, reason: string, range?: SourceRange): Val {
  return range ? { t: 'unknown', text, reason, range } : { t: 'unknown', text, reason };
}

export function num(v: Val | undefined): number | undefined {
  return v?.t === 'data' && typeof v.v === 'number' ? v.v : undefined;
}

export function str(v: Val | undefined): string | undefined {
  return v?.t === 'data' && typeof v.v === 'string' ? v.v : undefined;
}

export function prop(v: Val | undefined, key: string): Val | undefined {
  return v?.t === 'object' ? v.props.get(key) : undefined;
}

/** Turns a value into layer-config data; what is not data becomes an UnknownValue (or a call, for layers). */
export function toConfig(v: Val, depth = 0): ConfigValue {
  if (depth > 20) return { kind: 'unknown', text: '...', reason: 'nested too deeply' };
  switch (v.t) {
    case 'data':
      return v.v;
    case 'call':
      return {
        kind: 'call',
        callee: v.callee,
        args: v.args.map((a) => toConfig(a, depth + 1)),
        range: v.range,
      };
    case 'array':
      return v.items.map((i) => toConfig(i, depth + 1));
    case 'object': {
      const out: { [key: string]: ConfigValue } = {};
      for (const [k, p] of v.props) out[k] = toConfig(p, depth + 1);
      return out;
    }
    case 'layer': {
      const n = v.node.kind === 'layer' ? v.node : v.node.instance;
      if (!n) return unknownData('layer', 'a block, not data');
      const callee = n.origin === 'tfjs' ? `layers.${n.layerType}` : n.layerType;
      return { kind: 'call', callee, args: [n.config], range: n.range };
    }
    case 'unknown':
      return unknownData(v.text, v.reason);
    case 'ns':
      return unknownData(v.path, 'a namespace, not data');
    case 'tensor':
      return unknownData('tensor', 'a tensor, not data');
    case 'model':
      return unknownData('model', 'a model, not data');
    case 'fn':
      return unknownData('function', 'a function, not data');
    case 'class':
      return unknownData('class', 'a class, not data');
    case 'module':
      return unknownData('module', 'a module, not data');
  }
}

function unknownData(text: string, reason: string): UnknownValue {
  return { kind: 'unknown', text, reason };
}

/** Collects the layer/block nodes in a value (arrays flattened), for model bodies. */
export function irNodesOf(v: Val): IrNode[] {
  if (v.t === 'layer') return [v.node];
  if (v.t === 'array') return v.items.flatMap(irNodesOf);
  return [];
}

/** Constant folding for the operators that model code uses on sizes and coefficients. */
export function foldBinary(op: string, a: Val, b: Val): Val | undefined {
  if (a.t !== 'data' || b.t !== 'data') return undefined;
  const x = a.v;
  const y = b.v;
  if (op === '+' && (typeof x === 'string' || typeof y === 'string'))
    return { t: 'data', v: String(x) + String(y) };
  if (typeof x === 'number' && typeof y === 'number') {
    const r = arith(op, x, y);
    if (r !== undefined) return { t: 'data', v: r };
  }
  switch (op) {
    case '===':
    case '==':
      return { t: 'data', v: x === y };
    case '!==':
    case '!=':
      return { t: 'data', v: x !== y };
  }
  return undefined;
}

function arith(op: string, x: number, y: number): number | boolean | undefined {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    case '%':
      return x % y;
    case '**':
      return x ** y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
  return undefined;
}

const MATH_FNS: Record<string, (...xs: number[]) => number> = {
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  exp: Math.exp,
  sqrt: Math.sqrt,
  pow: Math.pow,
  min: Math.min,
  max: Math.max,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  abs: Math.abs,
  tanh: Math.tanh,
};

/** `Math.log(2)` and friends, when every argument is a known number. */
export function foldMath(name: string, args: Val[]): Val | undefined {
  const f = MATH_FNS[name];
  if (!f) return undefined;
  const xs = args.map(num);
  if (xs.some((x) => x === undefined)) return undefined;
  return { t: 'data', v: f(...(xs as number[])) };
}

export function truthy(v: Val): boolean | undefined {
  if (v.t === 'data') return Boolean(v.v);
  if (v.t === 'unknown') return undefined;
  return true;
}
