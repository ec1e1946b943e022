/**
 * What every layer specification (core/src/specs/<layer>.ts) speaks in. A specification is free of tfjs: the
 * layer class (core/src/layers) and the static bound calculus (core/src/bounds/layer-bounds.ts) both call it, so
 * each default, option check and bound formula is stated once.
 */
import type { NodeBounds } from '../bounds/bound';

/** Bounds computed from a built layer's weights: Infinity where no finite bound holds. */
export interface WeightBounds {
  forward: number;
  inverse: number;
}

/** A static bound read from a layer's options, with how it was derived. */
export type StaticBounds = NodeBounds;

/** One option a layer rejects: the message its constructor throws (after `<layer name>: `). */
export type OptionError = string;

/** Positive integers, as layers demand of counts and widths. */
export function positiveIntError(name: string, v: number): OptionError | undefined {
  return Number.isInteger(v) && v >= 1 ? undefined : `${name} must be a positive integer, got ${v}`;
}

/** A choice among fixed strings. */
export function oneOfError<T extends string>(
  name: string,
  allowed: readonly T[],
  v: unknown,
): OptionError | undefined {
  return allowed.includes(v as T)
    ? undefined
    : `${name} must be one of ${allowed.join(', ')}, got '${String(v)}'`;
}
