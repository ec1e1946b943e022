/**
 * How an affine transform forms its scale, read from the TS AST. `y2 = x2 * s + t` inverts by dividing by s, so
 * along x2 its gain is max|s| and its inverse's 1/min|s| (swapped when the forward pass divides: `x2 / s`).
 * Whether `exp(h)` is bounded depends on h: each subexpression gets a sound interval (`Extent`), and the form
 * names what bounds the scale (`exp(c * tanh(h / c))`, `exp(clipByValue(h, a, b))`, `sigmoid(h + 2) + eps`) or
 * that nothing does (`exp(h)`, `sigmoid(h)`). No tfjs and no interpreter here: the caller supplies a resolver.
 */
import type { ts } from 'ts-morph';
import type { ScaleForm, ScaleGains } from '../ir/model-ir';
import { ANY, type Bounder, bounded, type Extent, gainsOf, reachesZero } from './intervals';
import type { Def } from './locals';
import { type Core, Reader } from './scale-reader';

export type { Def } from './locals';
export { Locals } from './locals';
export { returnedExpressions, strip } from './scale-names';

/** A tensor op a call performs: `tf.exp(h)` -> exp [h]; `h.add(2)` -> add [h, 2] (the receiver first). */
export interface OpRead {
  op: string;
  operands: readonly ts.Expression[];
}

/** What a name (`h`, `this.clamp`) stands for. */
export type Leaf =
  /** Read these instead: a local's definition, a field's initializers (several: their union). */
  | { kind: 'expr'; defs: readonly Def[] }
  | { kind: 'number'; value: number }
  /** A number not known statically (`this.clamp` set from the layer's config). */
  | { kind: 'constant' }
  /** A learned weight (`this.addWeight(...)`, `tf.variable(...)`): finite for given weights, not over training. */
  | { kind: 'parameter' }
  /** Data: the layer's input, or a tensor not traced further. Presumed unbounded. */
  | { kind: 'tensor' };

/** A function to inline: a class helper (`this.scale(h)`), a local arrow, `tf.tidy(() => ...)`. */
export interface Inlined {
  fn: ts.SignatureDeclaration;
  args: readonly ts.Expression[];
}

export interface ScaleResolver {
  op(call: ts.CallExpression): OpRead | undefined;
  leaf(e: ts.Identifier | ts.PropertyAccessExpression): Leaf;
  inline(call: ts.CallExpression): Inlined | undefined;
  /** `net.apply(x)`: the activation of the applied layer's output (`'linear'` when none); else undefined. */
  applied(call: ts.CallExpression): string | undefined;
}

/** One op that forms a scale, and the form of the scale where it is the one chosen. */
export interface ScaleSiteNode {
  form: ScaleForm;
  anchor: ts.Node;
}

export interface ScaleReading {
  form: ScaleForm;
  /** The op that forms the scale (`exp`, `sigmoid`, `softplus`), or the layer application for `identity`. */
  anchor?: ts.Node;
  /** x2-direction gains of the forward pass and of the inverse. */
  gains: ScaleGains;
  /** Every op that forms the scale, one per alternative (the anchor is the worst of them). */
  sites: ScaleSiteNode[];
}

const UNKNOWN: ScaleGains = { forward: 'unknown', inverse: 'unknown' };

function boundedName(by: Bounder | undefined): ScaleForm {
  if (by === 'tanh') return 'bounded-tanh';
  if (by === 'atan') return 'soft-clamp';
  return 'clamped';
}

/** Forms from the most to the least dangerous: a choice among several is as dangerous as its worst. */
const FORM_RANK: readonly ScaleForm[] = [
  'exp',
  'softplus',
  'sigmoid',
  'identity',
  'learned-param',
  'softplus-floor',
  'sigmoid-floor',
  'clamped',
  'soft-clamp',
  'bounded-tanh',
];

/** The form of one alternative: `s` the scale and `arg` the argument of its op, read with its choices made. */
function formOf(core: Core, s: Extent, arg: Extent): ScaleForm {
  if (core.op === 'apply') return 'identity';
  if (core.op === 'exp') {
    if (!bounded(arg)) return 'exp';
    return arg.param ? 'learned-param' : boundedName(arg.by);
  }
  const name = core.op as 'sigmoid' | 'softplus';
  if (reachesZero(s)) return name;
  if (arg.lo === -Infinity) return name === 'sigmoid' ? 'sigmoid-floor' : 'softplus-floor';
  return arg.param && !arg.data ? 'learned-param' : 'clamped';
}

/**
 * Classifies the scale `e` multiplying x2 (`x2 * e`), or dividing it when `divides` (`x2 / e`). Unresolved data
 * (the conditioner's output) is presumed unbounded; a number not known statically gives unknown gains, never a
 * guessed one. A scale chosen among several (`clamp ? exp(clip(h)) : exp(h)`, if/else, RealNVP's masked
 * `mask + (1 - mask) * exp(h)`) takes the values of all of them: its form is the worst alternative's.
 */
export function classifyScale(e: ts.Expression, resolver: ScaleResolver, divides = false): ScaleReading {
  const reader = new Reader(resolver);
  const cores = reader.core(e, undefined, 0, new Map());
  if (!cores.length) return { form: 'unknown', gains: UNKNOWN, sites: [] };
  const g = gainsOf(reader.extent(e, undefined, 0));
  const gains: ScaleGains = divides ? { forward: g.inverse, inverse: g.forward } : g;
  const sites = cores.map((core): ScaleSiteNode => {
    const r = core.choices.size ? new Reader(resolver, core.choices) : reader;
    const s = r.extent(e, undefined, 0);
    const arg = core.arg ? r.extent(core.arg, core.scope, 0) : ANY;
    return { form: formOf(core, s, arg), anchor: core.node };
  });
  const worst = sites.reduce((a, b) => (FORM_RANK.indexOf(b.form) < FORM_RANK.indexOf(a.form) ? b : a));
  return { form: worst.form, anchor: worst.anchor, gains, sites };
}

/** Whether `e` depends on the input (data) or on learned weights, as the scale reader sees it. */
export function varies(e: ts.Expression, resolver: ScaleResolver): { data: boolean; param: boolean } {
  const x = new Reader(resolver).extent(e, undefined, 0);
  return { data: x.data, param: x.param };
}

/** Scale forms whose inverse gain has no bound for any weights: reported by unbounded-coupling-scale. */
export const UNBOUNDED_SCALES: ReadonlySet<ScaleForm> = new Set<ScaleForm>(['exp', 'sigmoid', 'softplus']);

/** The scale and the data it multiplies in a mul or div: `x2 * s`, `s * x2`, `x2 / s`. */
export function scaleOperand(
  use: OpRead,
  isData: (e: ts.Expression) => boolean,
): { scale: ts.Expression; data: ts.Expression; divides: boolean } | undefined {
  if (use.operands.length !== 2) return undefined;
  const [a, b] = use.operands as [ts.Expression, ts.Expression];
  if (use.op === 'div') return isData(a) && !isData(b) ? { scale: b, data: a, divides: true } : undefined;
  if (use.op !== 'mul') return undefined;
  if (isData(a) && !isData(b)) return { scale: b, data: a, divides: false };
  if (isData(b) && !isData(a)) return { scale: a, data: b, divides: false };
  return undefined;
}
