/** A large model file for the responsiveness test and bench: an example model repeated with every name renamed. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'realnvp.ts');
/** The example's top-level names, renamed in each copy so the copies do not collide. */
const NAMES = ['RealNvpCoupling', 'realNvp', 'half'];

/** `copies` renamed copies of examples/realnvp.ts (45 lines each) under one import block. */
export function bigModel(copies: number): string {
  const body = readFileSync(EXAMPLE, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n');
  const out = [
    "import * as tf from '@tensorflow/tfjs';",
    "import { SpectralNormConstraint } from 'lipschitz-lens';",
  ];
  for (let i = 0; i < copies; i++)
    out.push(NAMES.reduce((b, n) => b.replace(new RegExp(`\\b${n}\\b`, 'g'), `${n}${i}`), body));
  return out.join('\n');
}
