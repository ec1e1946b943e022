/**
 * What e2e/run.mjs installed and built: the cache, Node 24, the code-server launcher and the .vsix. It passes
 * them in LIPSCHITZ_LENS_E2E; a test file run on its own asks run.mjs to prepare them.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths';

export interface Prepared {
  cache: string;
  /** The Node 24 binary that runs code-server (it crashes on Node 20). */
  node: string;
  codeServer: string;
  vsix: string;
}

function isPrepared(v: unknown): v is Prepared {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return ['cache', 'node', 'codeServer', 'vsix'].every((k) => typeof r[k] === 'string');
}

let memo: Prepared | undefined;

export function prepared(): Prepared {
  if (memo) return memo;
  const raw =
    process.env.LIPSCHITZ_LENS_E2E ??
    execFileSync(process.execPath, [join(ROOT, 'e2e', 'run.mjs'), '--prepare-only'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 40 * 60_000,
    });
  const value: unknown = JSON.parse(raw.trim().split('\n').at(-1) ?? '');
  if (!isPrepared(value)) throw new Error(`unexpected preparation result: ${raw}`);
  memo = value;
  return value;
}
