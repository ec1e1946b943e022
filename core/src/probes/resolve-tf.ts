/**
 * Which tfjs the worker uses: the copy the user's code resolves from its folder (tfjs-node-gpu, then
 * tfjs-node, then tfjs), else the copy bundled with this tool. Two copies in one process silently share one
 * engine, so the worker picks one and routes the user's imports to it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BackendPreference } from '../protocol/worker-messages';
import type { BackendInfo } from '../report/schema';
import type { Tf } from './target';

export interface ResolvedTf {
  tf: Tf;
  info: BackendInfo;
  /** The module id the user's code should get for `@tensorflow/tfjs` (and the node variants). */
  module: unknown;
}

const CANDIDATES: Record<BackendPreference, string[]> = {
  auto: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs'],
  'tfjs-node-gpu': ['@tensorflow/tfjs-node-gpu'],
  'tfjs-node': ['@tensorflow/tfjs-node'],
  wasm: ['@tensorflow/tfjs'],
  cpu: ['@tensorflow/tfjs'],
};

export type RequireFn = (id: string) => unknown;

export function folderRequire(cwd: string): NodeJS.Require {
  return createRequire(join(cwd, 'package.json'));
}

function versionOf(req: NodeJS.Require, id: string): string {
  try {
    return (req(`${id}/package.json`) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Activates wasm (when the user's folder has the wasm backend and it is wanted) or cpu on a pure-JS tfjs. */
async function activateJsBackend(
  tf: Tf,
  req: NodeJS.Require,
  preference: BackendPreference,
  notes: string[],
): Promise<void> {
  if (preference === 'auto' || preference === 'wasm') {
    try {
      const wasm = req('@tensorflow/tfjs-backend-wasm') as { setWasmPaths?: (p: string) => void };
      const dir = join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      if (existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm'))) wasm.setWasmPaths?.(`${dir}/`);
      if (await tf.setBackend('wasm')) return;
      notes.push('the wasm backend did not initialise');
    } catch (e) {
      notes.push(
        `@tensorflow/tfjs-backend-wasm not usable: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      );
    }
  }
  await tf.setBackend('cpu');
}

/** The user's tfjs, or undefined (with why) when their folder resolves none of the candidates. */
export async function userTf(cwd: string, preference: BackendPreference): Promise<ResolvedTf | undefined> {
  const req = folderRequire(cwd);
  const notes: string[] = [];
  for (const id of CANDIDATES[preference]) {
    let path: string;
    try {
      path = req.resolve(id);
    } catch {
      notes.push(`${id} not found from ${cwd}`);
      continue;
    }
    let mod: unknown;
    try {
      mod = req(id);
    } catch (e) {
      notes.push(`${id} failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      continue;
    }
    const tf = mod as Tf;
    if (id === '@tensorflow/tfjs') await activateJsBackend(tf, req, preference, notes);
    await tf.ready();
    return {
      tf,
      module: mod,
      info: { name: tf.getBackend(), package: id, version: versionOf(req, id), path, bundled: false, notes },
    };
  }
  return undefined;
}

/** The tfjs bundled with this tool, with the fastest backend it can start. */
export async function bundledTf(preference: BackendPreference, notes: string[] = []): Promise<ResolvedTf> {
  // Required lazily so that a worker using the user's tfjs never evaluates a second copy.
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded lazily, only on this path */
  const tf = require('@tensorflow/tfjs') as Tf;
  const { selectBackend } =
    require('../backend/select-backend') as typeof import('../backend/select-backend');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const choice = await selectBackend({ prefer: preference });
  return {
    tf,
    module: tf,
    info: {
      name: tf.getBackend(),
      package:
        choice.kind === 'wasm' || choice.kind === 'cpu' ? '@tensorflow/tfjs' : `@tensorflow/${choice.kind}`,
      version: tf.version.tfjs,
      path: 'bundled',
      bundled: true,
      notes: [...notes, ...choice.notes],
    },
  };
}
