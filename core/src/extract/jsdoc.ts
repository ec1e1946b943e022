/**
 * Model marks from JSDoc: `@invertible`, `@lipschitz`, `@checkpoint ./path/model.json`, the audit's
 * `@inputShape 8` / `@inputShape [32, 32, 3]` and `@auditArgs [4, 64]`, and the bounds' `@inputDomain box [-1, 1]`
 * / `@inputDomain ball 5`.
 */
import { dirname, resolve } from 'node:path';
import { ts } from 'ts-morph';
import { type InputDomain, parseInputDomain } from '../specs/input-domain';

export interface Marks {
  invertible: boolean;
  lipschitz: boolean;
  checkpoint?: string;
  inputShape?: number[];
  /** An `@inputShape` tag that is not a shape: never guessed, said (see ModelNode.inputShapeError). */
  inputShapeError?: string;
  auditArgs?: unknown[];
  /** The declared input domain, or why the tag was not understood. */
  inputDomain?: InputDomain | { error: string };
}

/** `8`, `8, 8, 3` or `[8, 8, 3]`: positive integers, else nothing (never guessed). */
function parseShape(text: string): number[] | undefined {
  const dims = text
    .replace(/[[\]]/g, ' ')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  return dims.length > 0 && dims.every((d) => Number.isInteger(d) && d > 0) ? dims : undefined;
}

function parseArgs(text: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : [value];
  } catch {
    return undefined;
  }
}

export function readMarks(node: ts.Node | undefined, file: string): Marks {
  const marks: Marks = { invertible: false, lipschitz: false };
  if (!node) return marks;
  for (const tag of ts.getJSDocTags(node)) {
    const name = tag.tagName.text;
    if (name === 'invertible') marks.invertible = true;
    else if (name === 'lipschitz') marks.lipschitz = true;
    else if (name === 'checkpoint') {
      const path = ts.getTextOfJSDocComment(tag.comment)?.trim().split(/\s+/)[0];
      if (path) marks.checkpoint = resolve(dirname(file), path);
    } else if (name === 'inputShape') {
      const text = ts.getTextOfJSDocComment(tag.comment)?.trim() ?? '';
      const shape = parseShape(text);
      if (shape) marks.inputShape = shape;
      else
        marks.inputShapeError = `@inputShape ${text} is not a shape: write one point's dimensions, e.g. [8] or [28, 28, 1]`;
    } else if (name === 'inputDomain') {
      marks.inputDomain = parseInputDomain(ts.getTextOfJSDocComment(tag.comment) ?? '');
    } else if (name === 'auditArgs') {
      const args = parseArgs(ts.getTextOfJSDocComment(tag.comment)?.trim() ?? '');
      if (args) marks.auditArgs = args;
    }
  }
  // Another @inputShape tag gave the shape: nothing is missing.
  if (marks.inputShape) delete marks.inputShapeError;
  return marks;
}

export function mergeMarks(a: Marks, b: Marks): Marks {
  const out: Marks = { invertible: a.invertible || b.invertible, lipschitz: a.lipschitz || b.lipschitz };
  const checkpoint = a.checkpoint ?? b.checkpoint;
  if (checkpoint) out.checkpoint = checkpoint;
  const inputShape = a.inputShape ?? b.inputShape;
  if (inputShape) out.inputShape = inputShape;
  const inputShapeError = a.inputShapeError ?? b.inputShapeError;
  if (inputShapeError && !inputShape) out.inputShapeError = inputShapeError;
  const auditArgs = a.auditArgs ?? b.auditArgs;
  if (auditArgs) out.auditArgs = auditArgs;
  const inputDomain = a.inputDomain ?? b.inputDomain;
  if (inputDomain) out.inputDomain = inputDomain;
  return out;
}
