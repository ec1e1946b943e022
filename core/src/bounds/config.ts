/**
 * Reading layer configs in the IR: numbers, strings and the kernel constraint. Shared by the bound calculus and
 * the rules, so both agree on what counts as a spectral-norm constraint.
 */
import {
  type CallValue,
  type ConfigValue,
  isCall,
  isUnknown,
  type LayerNode,
  type UnknownValue,
} from '../ir/model-ir';
import { ACT_NORM_DEFAULTS, actNormError } from '../specs/act-norm';
import { SPECTRAL_DEFAULTS } from '../specs/spectral';

/** tfjs layers whose weights define their Lipschitz constant, with the config key of their main constraint. */
export const WEIGHTED_LAYERS: Readonly<Record<string, string>> = {
  dense: 'kernelConstraint',
  conv1d: 'kernelConstraint',
  conv2d: 'kernelConstraint',
  conv3d: 'kernelConstraint',
  conv2dTranspose: 'kernelConstraint',
  conv3dTranspose: 'kernelConstraint',
  depthwiseConv2d: 'depthwiseConstraint',
  separableConv2d: 'depthwiseConstraint',
  embedding: 'embeddingsConstraint',
  simpleRNN: 'kernelConstraint',
  lstm: 'kernelConstraint',
  gru: 'kernelConstraint',
};

/** This project's layers whose kernel is spectrally normalised by construction. */
export const SPECTRAL_LAYERS = new Set(['SpectralDense', 'SpectralConv2D', 'SpectralConv2d']);

/** Keys under which a spectral-norm coefficient may be given. */
const COEFF_KEYS = ['c', 'coeff', 'coefficient', 'lipschitz'];

/** Coefficient used when `spectralNorm()` or a Spectral* layer gives none (core/src/specs/spectral.ts). */
export const DEFAULT_SPECTRAL_COEFF = SPECTRAL_DEFAULTS.coeff;

export function configNumber(config: { [key: string]: ConfigValue }, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = config[key];
    if (typeof value === 'number') return value;
  }
  return undefined;
}

/**
 * An option as the static calculus can read it: absent (the documented default applies), a number, or present but
 * not readable (a variable, a call, a spread that may hold it), which gives an unknown bound, never the default.
 */
export type NumberOption =
  { kind: 'absent' } | { kind: 'number'; value: number } | { kind: 'unreadable'; key: string; why: string };

/** Reads the first of `keys` present in `config`; see {@link NumberOption}. */
export function readNumberOption(
  config: { [key: string]: ConfigValue },
  keys: readonly string[],
  configUnknown?: UnknownValue,
): NumberOption {
  for (const key of keys) {
    const value = config[key];
    if (value === undefined) continue;
    if (typeof value === 'number') return { kind: 'number', value };
    if (isUnknown(value))
      return { kind: 'unreadable', key, why: `'${value.text}' is not known statically (${value.reason})` };
    if (isCall(value))
      return { kind: 'unreadable', key, why: `'${value.callee}(...)' is computed at run time` };
    return { kind: 'unreadable', key, why: 'not a number' };
  }
  if (configUnknown !== undefined) {
    return {
      kind: 'unreadable',
      key: keys[0] ?? '',
      why: `the config '${configUnknown.text}' may set it (${configUnknown.reason})`,
    };
  }
  return { kind: 'absent' };
}

/** The unreadable option among several reads, if any. */
export type Unreadable = { key: string; why: string };

/**
 * A layer's options the bound depends on, each read from its IR config with the layer specification's default
 * where absent (core/src/specs); the first option present but not readable (or of the wrong type) instead.
 */
export function readOptions<T extends { [key: string]: number | string | number[] | undefined }>(
  layer: LayerNode,
  defaults: T,
  aliases: { [K in keyof T]?: readonly string[] } = {},
): { options: T } | { unreadable: Unreadable } {
  const options: { [key: string]: unknown } = {};
  for (const key of Object.keys(defaults)) {
    const keys = aliases[key as keyof T] ?? [key];
    const present = keys.find((k) => layer.config[k] !== undefined);
    const def = defaults[key];
    if (present === undefined) {
      if (layer.configUnknown !== undefined) {
        const u = layer.configUnknown;
        return { unreadable: { key, why: `the config '${u.text}' may set it (${u.reason})` } };
      }
      options[key] = def;
      continue;
    }
    const value = layer.config[present];
    const ok =
      def === undefined
        ? typeof value === 'number'
        : Array.isArray(def)
          ? Array.isArray(value) && value.every((v) => typeof v === 'number')
          : typeof value === typeof def;
    if (ok) {
      options[key] = value;
      continue;
    }
    const why = isUnknown(value)
      ? `'${value.text}' is not known statically (${value.reason})`
      : isCall(value)
        ? `'${value.callee}(...)' is computed at run time`
        : `not a ${Array.isArray(def) ? 'list of numbers' : def === undefined ? 'number' : typeof def}`;
    return { unreadable: { key: present, why } };
  }
  return { options: options as T };
}

/** `option 'coeff' is unreadable: ...`, for bound sources. */
export function unreadableSource(what: string, read: { key: string; why: string }): string {
  return `${what}: option '${read.key}' is present but ${read.why}, so the bound is unknown`;
}

export function configString(config: { [key: string]: ConfigValue }, key: string): string | undefined {
  const value = config[key];
  return typeof value === 'string' ? value : undefined;
}

export function asObject(value: ConfigValue | undefined): { [key: string]: ConfigValue } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (isCall(value) || isUnknown(value)) return undefined;
  return value as { [key: string]: ConfigValue };
}

/** The last segment of a callee: `constraints.maxNorm` -> `maxNorm`, `new SpectralNormConstraint` -> same. */
export function calleeName(call: CallValue): string {
  const parts = call.callee.replace(/^new\s+/, '').split('.');
  return parts[parts.length - 1] ?? call.callee;
}

export type ConstraintInfo =
  | { kind: 'none' }
  | { kind: 'unknown' }
  | {
      kind: 'spectral';
      /** The coefficient given; undefined when absent (the default applies) or unreadable. */
      c: number | undefined;
      call?: CallValue;
      /** Set when the coefficient is present but not statically readable. */
      unreadable?: { key: string; why: string };
      /**
       * Why the normalisation does not certify sigma <= c, when it does not: `norm: 'power'` divides by a
       * power-iteration estimate, which can be low; an unreadable `norm` is not known to certify.
       */
      uncertified?: string;
    }
  | { kind: 'column'; name: 'maxNorm' | 'unitNorm' | 'minMaxNorm'; maxValue: number; call?: CallValue }
  | { kind: 'other'; name: string };

const COLUMN_DEFAULT_MAX: Record<string, number> = { maxNorm: 2, unitNorm: 1, minMaxNorm: 1 };

function columnConstraint(name: string, args: { [key: string]: ConfigValue } | undefined, call?: CallValue) {
  if (name !== 'maxNorm' && name !== 'unitNorm' && name !== 'minMaxNorm') return undefined;
  const given = name === 'unitNorm' ? undefined : args && configNumber(args, 'maxValue');
  const maxValue = given ?? COLUMN_DEFAULT_MAX[name] ?? 1;
  const info: ConstraintInfo = call
    ? { kind: 'column', name, maxValue, call }
    : { kind: 'column', name, maxValue };
  return info;
}

/** Classifies a constraint value (a call, a tfjs string identifier, or unresolvable). */
export function classifyConstraint(value: ConfigValue | undefined): ConstraintInfo {
  if (value === undefined || value === null) return { kind: 'none' };
  if (isUnknown(value)) return { kind: 'unknown' };
  if (typeof value === 'string') {
    return columnConstraint(value, undefined) ?? { kind: 'other', name: value };
  }
  if (!isCall(value)) return { kind: 'unknown' };
  const name = calleeName(value);
  const args = asObject(value.args[0]);
  if (name === 'spectralNorm' || name === 'SpectralNormConstraint') {
    const first = value.args[0];
    const read: NumberOption =
      first === undefined
        ? { kind: 'absent' }
        : args === undefined
          ? { kind: 'unreadable', key: 'coeff', why: 'in an argument not known statically' }
          : readNumberOption(args, COEFF_KEYS);
    return spectralInfo(read, args, value);
  }
  return columnConstraint(name, args, value) ?? { kind: 'other', name };
}

function spectralInfo(
  read: NumberOption,
  options: { [key: string]: ConfigValue } | undefined,
  call?: CallValue,
): ConstraintInfo {
  const c = read.kind === 'number' ? read.value : undefined;
  const unreadable = read.kind === 'unreadable' ? { key: read.key, why: read.why } : undefined;
  const uncertified = normUncertified(options?.['norm']);
  return {
    kind: 'spectral',
    c,
    ...(call ? { call } : {}),
    ...(unreadable ? { unreadable } : {}),
    ...(uncertified ? { uncertified } : {}),
  };
}

/** The spectral layers certify sigma <= c by default (`norm: 'certified'`); why not, for other `norm` values. */
function normUncertified(norm: ConfigValue | undefined): string | undefined {
  if (norm === undefined || norm === 'certified') return undefined;
  if (norm === 'power')
    return "norm: 'power' divides by a power-iteration estimate of sigma, which can be low";
  const text = isUnknown(norm) ? norm.text : isCall(norm) ? `${norm.callee}(...)` : JSON.stringify(norm);
  return `option 'norm' is present but ${text} is not known statically to be 'certified'`;
}

/** The constraint that bounds a weighted layer's Lipschitz constant, or `undefined` for unweighted layers. */
export function layerConstraint(layer: LayerNode): ConstraintInfo | undefined {
  if (SPECTRAL_LAYERS.has(layer.layerType)) {
    return spectralInfo(readNumberOption(layer.config, COEFF_KEYS, layer.configUnknown), layer.config);
  }
  const key = WEIGHTED_LAYERS[layer.layerType];
  if (key === undefined) return undefined;
  return classifyConstraint(layer.config[key]);
}

export function coefficientOf(layer: LayerNode): number | undefined {
  return configNumber(layer.config, ...COEFF_KEYS);
}

/**
 * M of an ActNorm whose config gives a known numeric `scaleBound` the layer accepts (core/src/specs/act-norm.ts):
 * every scale then lies in [1/M, M]. Undefined when absent, unknown or rejected.
 */
export function actNormScaleBound(layer: LayerNode): number | undefined {
  if (layer.layerType !== 'ActNorm') return undefined;
  const m = configNumber(layer.config, 'scaleBound');
  const param = layer.config['scaleParam'] ?? ACT_NORM_DEFAULTS.scaleParam;
  if (m === undefined) return undefined;
  return actNormError({ epsilon: ACT_NORM_DEFAULTS.epsilon, scaleParam: param, scaleBound: m }) === undefined
    ? m
    : undefined;
}

/** The width a layer produces, when its config says so (`units` or `filters`). */
export function outputWidth(layer: LayerNode): number | undefined {
  return configNumber(layer.config, 'units', 'filters', 'outputDim');
}

/** The input width from `inputShape: [n]` / `inputDim: n`, when given. */
export function inputWidth(layer: LayerNode): number | undefined {
  const dim = configNumber(layer.config, 'inputDim');
  if (dim !== undefined) return dim;
  const shape = layer.config['inputShape'] ?? layer.config['batchInputShape'];
  if (!Array.isArray(shape) || shape.length === 0) return undefined;
  const last = shape[shape.length - 1];
  return typeof last === 'number' ? last : undefined;
}
