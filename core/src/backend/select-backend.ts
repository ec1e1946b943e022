import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The backends in the order they are preferred when available. */
export type BackendKind = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface BackendChoice {
  kind: BackendKind;
  /** Name tfjs knows the backend by (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  gpu: boolean;
  /** Why the faster options were passed over, for the user to read. */
  notes: string[];
}

/** Loads a module by id, returning undefined (with the reason) when it is absent or fails to load. */
export type ModuleLoader = (id: string) => { module?: unknown; error?: string };

const WASM_ID = '@tensorflow/tfjs-backend-wasm';

export const nodeLoader: ModuleLoader = (id) => {
  try {
    // The wasm backend is this tool's own: a literal require, so the CLI and probe-worker bundles carry it (the
    // .vsix ships no node_modules: without it the installed extension audited on cpu, examples/glow.ts in 90 s
    // where the CLI took 7 s on wasm). Optional native backends are resolved at run time, never bundled, so
    // theirs must stay a dynamic require.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const module: unknown = id === WASM_ID ? require('@tensorflow/tfjs-backend-wasm') : require(id);
    /* eslint-enable @typescript-eslint/no-require-imports */
    return { module };
  } catch (e) {
    return { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
};

export interface SelectBackendOptions {
  /** Restrict the choice; `auto` tries GPU, native CPU, wasm, then cpu. */
  prefer?: 'auto' | BackendKind;
  loader?: ModuleLoader;
  /** Folder holding the tfjs-backend-wasm `.wasm` files; found next to the bundle or the package otherwise. */
  wasmDir?: string;
}

const NATIVE: ReadonlyArray<{ kind: 'tfjs-node-gpu' | 'tfjs-node'; id: string; gpu: boolean }> = [
  { kind: 'tfjs-node-gpu', id: '@tensorflow/tfjs-node-gpu', gpu: true },
  { kind: 'tfjs-node', id: '@tensorflow/tfjs-node', gpu: false },
];

/** Where the wasm binaries are: beside this file when bundled, else in the installed package. */
export function findWasmDir(): string | undefined {
  const bundled = join(__dirname, 'wasm');
  if (existsSync(join(bundled, 'tfjs-backend-wasm-simd.wasm'))) return bundled;
  try {
    return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Picks and activates the fastest tfjs backend this process can load. Native backends are optional
 * dependencies the user installs; this project only ever requires `@tensorflow/tfjs` and the wasm backend.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const prefer = options.prefer ?? 'auto';
  const loader = options.loader ?? nodeLoader;
  const notes: string[] = [];

  for (const native of NATIVE) {
    if (prefer !== 'auto' && prefer !== native.kind) continue;
    const loaded = loader(native.id);
    if (loaded.module === undefined) {
      notes.push(`${native.id} not available: ${loaded.error ?? 'not installed'}`);
      continue;
    }
    if (await tf.setBackend('tensorflow')) {
      return { kind: native.kind, tfBackend: 'tensorflow', gpu: native.gpu, notes };
    }
    notes.push(`${native.id} loaded but its 'tensorflow' backend did not initialise`);
  }

  if (prefer === 'auto' || prefer === 'wasm') {
    const wasm = loader(WASM_ID);
    if (wasm.module !== undefined) {
      const dir = options.wasmDir ?? findWasmDir();
      const setWasmPaths = (wasm.module as { setWasmPaths?: (prefix: string) => void }).setWasmPaths;
      if (dir !== undefined && setWasmPaths !== undefined) setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
      if (await tf.setBackend('wasm')) return { kind: 'wasm', tfBackend: 'wasm', gpu: false, notes };
      notes.push('the wasm backend did not initialise');
    } else {
      notes.push(`${WASM_ID} not available: ${wasm.error ?? 'not installed'}`);
    }
  }

  await tf.setBackend('cpu');
  return { kind: 'cpu', tfBackend: 'cpu', gpu: false, notes };
}

/** One line for logs and the status bar. */
export function describeBackend(choice: BackendChoice): string {
  const where = choice.gpu ? 'GPU' : 'CPU';
  return `tfjs backend: ${choice.kind} (${where})`;
}
