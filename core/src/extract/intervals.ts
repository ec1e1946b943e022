/**
 * Sound interval arithmetic over the values a tensor expression takes (scale-form.ts reads expressions into it):
 * ends may be unknown-but-finite or known positive, and each interval says whether it depends on the input or on
 * learned weights, and what bounded it.
 */
import type { ScaleGain, ScaleGains } from '../ir/model-ir';

/** An interval endpoint: a number (`±Infinity`: unbounded that way), `'finite'` (unknown), `'pos'` (> 0). */
export type End = number | 'finite' | 'pos';

/** What bounded a quantity, for the form's name. */
export type Bounder = 'tanh' | 'atan' | 'clip' | 'bounded';

/** A sound over-approximation of the values an expression takes. */
export interface Extent {
  lo: End;
  hi: End;
  /** Depends on the input (the conditioner's output, x): what makes a scale vary. */
  data: boolean;
  /** Finite only because a learned weight is (ActNorm's log-scale). */
  param: boolean;
  by?: Bounder;
}

/** Anything: data not traced further. */
export const ANY: Extent = { lo: -Infinity, hi: Infinity, data: true, param: false };

/** Finite, value not known statically, constant in the input (a number from the config, a constant tensor). */
export const FINITE: Extent = { lo: 'finite', hi: 'finite', data: false, param: false };

export const isNum = (e: End): e is number => typeof e === 'number';
const isInf = (e: End): boolean => isNum(e) && !Number.isFinite(e);
const positive = (e: End): boolean => e === 'pos' || (isNum(e) && e > 0);
const nonNegative = (e: End): boolean => e === 'pos' || (isNum(e) && e >= 0);

export function point(value: number): Extent {
  return { lo: value, hi: value, data: false, param: false };
}

function addEnd(a: End, b: End, side: 'lo' | 'hi'): End {
  if (isInf(a) || isInf(b)) {
    if (isInf(a) && isInf(b) && a !== b) return side === 'lo' ? -Infinity : Infinity;
    return isInf(a) ? a : b;
  }
  if (isNum(a) && isNum(b)) return a + b;
  if (positive(a) ? nonNegative(b) : positive(b) && nonNegative(a)) return 'pos';
  return 'finite';
}

function negEnd(a: End): End {
  return isNum(a) ? -a : 'finite';
}

function join(a: Extent, b: Extent, lo: End, hi: End): Extent {
  const out: Extent = { lo, hi, data: a.data || b.data, param: a.param || b.param };
  const by = (a.data || a.param ? a.by : undefined) ?? (b.data || b.param ? b.by : undefined);
  if (by) out.by = by;
  return out;
}

export function add(a: Extent, b: Extent): Extent {
  return join(a, b, addEnd(a.lo, b.lo, 'lo'), addEnd(a.hi, b.hi, 'hi'));
}

export function neg(a: Extent): Extent {
  return { ...a, lo: negEnd(a.hi), hi: negEnd(a.lo) };
}

export function bounded(e: Extent): boolean {
  return !isInf(e.lo) && !isInf(e.hi);
}

/** Zero times anything is zero here: the unbounded side of an interval is never attained. */
function mulNum(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}

export function mul(a: Extent, b: Extent): Extent {
  if (isNum(a.lo) && isNum(a.hi) && isNum(b.lo) && isNum(b.hi)) {
    const c = [mulNum(a.lo, b.lo), mulNum(a.lo, b.hi), mulNum(a.hi, b.lo), mulNum(a.hi, b.hi)];
    return join(a, b, Math.min(...c), Math.max(...c));
  }
  // One side a known constant c: scale the other's ends.
  for (const [k, x] of [
    [a, b],
    [b, a],
  ] as const) {
    if (isNum(k.lo) && k.lo === k.hi) {
      const c = k.lo;
      if (c === 0) return join(a, b, 0, 0);
      const scale = (e: End): End => (isNum(e) ? e * c : c > 0 ? e : 'finite');
      const [lo, hi] = c > 0 ? [scale(x.lo), scale(x.hi)] : [scale(x.hi), scale(x.lo)];
      return join(a, b, lo, hi);
    }
  }
  if (bounded(a) && bounded(b))
    return join(a, b, positive(a.lo) && positive(b.lo) ? 'pos' : 'finite', 'finite');
  return join(a, b, -Infinity, Infinity);
}

export function reciprocal(a: Extent): Extent {
  if (isNum(a.lo) && isNum(a.hi) && (a.lo > 0 || a.hi < 0)) return { ...a, lo: 1 / a.hi, hi: 1 / a.lo };
  if (positive(a.lo)) return { ...a, lo: isNum(a.hi) ? 1 / a.hi : 'pos', hi: 'pos' };
  return { ...a, lo: -Infinity, hi: Infinity };
}

/** A monotone increasing f applied to both ends; `unknown` is what f gives a finite unknown end. */
export function monotone(a: Extent, f: (x: number) => number, unknown: End, by?: Bounder): Extent {
  const m = (e: End): End => (isNum(e) ? f(e) : unknown);
  const out: Extent = { ...a, lo: m(a.lo), hi: m(a.hi) };
  // The op is what bounds the result when its argument was not bounded.
  if (by && !bounded(a)) out.by = by;
  return out;
}

function maxEnd(a: End, b: End): End {
  if (isNum(a) && isNum(b)) return Math.max(a, b);
  if (a === Infinity || b === Infinity) return Infinity;
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return positive(a) || positive(b) ? 'pos' : 'finite';
}

function minEnd(a: End, b: End): End {
  if (isNum(a) && isNum(b)) return Math.min(a, b);
  if (a === -Infinity || b === -Infinity) return -Infinity;
  if (a === Infinity) return b;
  if (b === Infinity) return a;
  return positive(a) && positive(b) ? 'pos' : 'finite';
}

/** max(x, a) and min(x, b), elementwise: both ends move (max(tanh(h), 5) is 5). */
export function clip(x: Extent, lo: Extent | undefined, hi: Extent | undefined): Extent {
  let out: Extent = { ...x };
  if (lo)
    out = { ...out, lo: maxEnd(out.lo, lo.lo), hi: maxEnd(out.hi, lo.hi), param: out.param || lo.param };
  if (hi)
    out = { ...out, lo: minEnd(out.lo, hi.lo), hi: minEnd(out.hi, hi.hi), param: out.param || hi.param };
  if (bounded(out) && !bounded(x)) out.by = 'clip';
  return out;
}

/** The hull of several intervals (the values of a choice among them). */
export function union(list: readonly Extent[]): Extent {
  const [first, ...rest] = list;
  if (!first) return ANY;
  return rest.reduce((a, b) => ({ ...join(a, b, minEnd(a.lo, b.lo), maxEnd(a.hi, b.hi)) }), first);
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));

/** Gains of multiplying by a value in [lo, hi]: sup|s| and 1/inf|s|. */
export function gainsOf(s: Extent): ScaleGains {
  let forward: ScaleGain = 'unknown';
  if (isInf(s.lo) || isInf(s.hi)) forward = 'unbounded';
  else if (isNum(s.lo) && isNum(s.hi)) forward = Math.max(Math.abs(s.lo), Math.abs(s.hi));
  let inverse: ScaleGain = 'unknown';
  const reachesZero = isNum(s.lo) && s.lo <= 0 && nonNegative(s.hi);
  if (reachesZero) inverse = 'unbounded';
  else if (isNum(s.lo) && s.lo > 0) inverse = 1 / s.lo;
  else if (isNum(s.hi) && s.hi < 0) inverse = 1 / -s.hi;
  return { forward, inverse };
}

export function reachesZero(s: Extent): boolean {
  return isNum(s.lo) && s.lo <= 0 && nonNegative(s.hi);
}
