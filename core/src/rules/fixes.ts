/** Fixes shared by several rules, computed from source text and IR ranges only. */
import type { LayerNode } from '../ir/model-ir';
import type { FixData, TextEdit, TextRange } from './rule';
import {
  importEdit,
  insertProperty,
  LIBRARY_PACKAGE,
  numericPropertyRange,
  type SourceText,
} from './source-text';

/** The recommended coefficient: contractive enough for a fast fixed-point inverse (k = 132 steps at 1e-6). */
export const SAFE_COEFF = 0.9;

/**
 * The constraint inserted by fixes. `coeff` is the argument name of this project's SpectralNormConstraint
 * (core/src/layers/spectral-norm.ts); the analysis also reads `c`.
 */
export const SPECTRAL_NORM_CALL = `spectralNorm({ coeff: ${SAFE_COEFF} })`;

/**
 * The scaleBound M given to ActNorm by fixes: every scale in [1/10, 10], so forward and inverse gains are at most
 * 10 and each channel's log-det term within +-log 10 (about 2.3), while data-dependent init still normalises
 * channels whose std is between about 0.1 and 10 to unit variance.
 */
export const DEFAULT_ACTNORM_SCALE_BOUND = 10;

/** The layer inserted for BatchNormalization by fixes. */
export const BOUNDED_ACTNORM_CALL = `new ActNorm({ scaleBound: ${DEFAULT_ACTNORM_SCALE_BOUND} })`;

/** A fix whose code uses `name` from the library: the import added, and the package required. */
function withImport(
  source: SourceText,
  title: string,
  edits: (TextEdit | undefined)[],
  name: string,
): FixData {
  const all = edits.filter((e): e is TextEdit => e !== undefined);
  const imp = importEdit(source, name);
  // The import goes first so edits stay ordered by position.
  return { title, edits: imp ? [imp, ...all] : all, requires: [LIBRARY_PACKAGE] };
}

/** `kernelConstraint: spectralNorm({ coeff: 0.9 })` added to a layer's config object. */
export function addSpectralConstraintFix(
  source: SourceText,
  layer: LayerNode,
  key: string,
): FixData | undefined {
  const edit = insertProperty(source, layer.range, `${key}: ${SPECTRAL_NORM_CALL}`);
  if (edit === undefined) return undefined;
  return withImport(source, `Add ${key}: ${SPECTRAL_NORM_CALL}`, [edit], 'spectralNorm');
}

/** Replaces an expression (a column-norm constraint call) by the spectral-norm constraint. */
export function replaceWithSpectralFix(source: SourceText, range: TextRange): FixData {
  return withImport(
    source,
    `Replace with ${SPECTRAL_NORM_CALL}`,
    [{ range, newText: SPECTRAL_NORM_CALL }],
    'spectralNorm',
  );
}

export function lowerCoefficientFix(
  source: SourceText,
  range: TextRange,
  keys: readonly string[],
): FixData | undefined {
  const value = numericPropertyRange(source, range, keys);
  if (value === undefined) return undefined;
  return {
    title: `Lower the coefficient to ${SAFE_COEFF}`,
    edits: [{ range: value, newText: String(SAFE_COEFF) }],
  };
}

/** Replaces a whole layer expression, adding the import of the replacement class. */
export function replaceLayerFix(
  source: SourceText,
  range: TextRange,
  newText: string,
  importName: string,
): FixData {
  return withImport(source, `Replace with ${newText}`, [{ range, newText }], importName);
}
