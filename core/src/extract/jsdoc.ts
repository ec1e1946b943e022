/** Model marks from JSDoc: `@invertible`, `@lipschitz`, `@checkpoint ./path/model.json`. */
import { dirname, resolve } from 'node:path';
import { ts } from 'ts-morph';

export interface Marks {
  invertible: boolean;
  lipschitz: boolean;
  checkpoint?: string;
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
    }
  }
  return marks;
}

export function mergeMarks(a: Marks, b: Marks): Marks {
  const out: Marks = { invertible: a.invertible || b.invertible, lipschitz: a.lipschitz || b.lipschitz };
  const checkpoint = a.checkpoint ?? b.checkpoint;
  if (checkpoint) out.checkpoint = checkpoint;
  return out;
}
