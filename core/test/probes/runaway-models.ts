/**
 * Model modules that misbehave, written to a temp folder (no package.json, so the worker runs its bundled
 * tfjs): stuck at import, stuck in the model's call, slow but yielding, spawning a process, filling memory.
 * Plain JS, so nothing but the worker's loader is involved. Shared by the containment tests and
 * bench/cancel.bench.ts.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRequest } from '../../src/protocol/worker-messages';

/** Allocations stop at 2 GB, so today's uncapped worker cannot take the machine down when a test is run on it. */
const HOG_LIMIT = 2 * 1024 ** 3;

/** Each model writes `<name>.started` beside itself when its misbehaviour begins, so a test knows when. */
const started = (name: string): string =>
  `require('node:fs').writeFileSync(require('node:path').join(__dirname, '${name}.started'), '');`;

const SOURCES = {
  'stuck-at-import.js': [started('stuck-at-import'), 'for (;;) {}'].join('\n'),
  // A ProbeTarget-shaped model whose forward pass never returns: the worker calls it once while loading.
  'stuck-in-call.js': [
    "exports.default = { name: 'stuck-in-call', inputShape: [2],",
    `  forward(x) { ${started('stuck-in-call')} for (;;) {} },`,
    '  inverse(y) { return y; } };',
  ].join('\n'),
  // Every pass busy-waits 20 ms, but the probes await between passes, so a cancel message is read.
  'busy.js': [
    'function wait() { const t = Date.now() + 20; while (Date.now() < t) {} }',
    "exports.default = { name: 'busy', inputShape: [2],",
    `  forward(x) { ${started('busy')} wait(); return x.mul(2); },`,
    '  inverse(y) { wait(); return y.div(2); } };',
  ].join('\n'),
  'spawns-then-loops.js': [
    "const child = require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' });",
    "require('node:fs').writeFileSync(__dirname + '/spawns-then-loops.pid', String(child.pid));",
    started('spawns-then-loops'),
    'for (;;) {}',
  ].join('\n'),
  // A responsive model (as busy.js) that started a helper process at import.
  'spawns-then-busy.js': [
    "const child = require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' });",
    "require('node:fs').writeFileSync(__dirname + '/spawns-then-busy.pid', String(child.pid));",
    'function wait() { const t = Date.now() + 20; while (Date.now() < t) {} }',
    "exports.default = { name: 'spawns-then-busy', inputShape: [2],",
    `  forward(x) { ${started('spawns-then-busy')} wait(); return x.mul(2); },`,
    '  inverse(y) { wait(); return y.div(2); } };',
  ].join('\n'),
  'spawns-then-throws.js': [
    "const child = require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' });",
    "require('node:fs').writeFileSync(__dirname + '/spawns-then-throws.pid', String(child.pid));",
    "throw new Error('model failed after starting a helper process');",
  ].join('\n'),
  // Arrays of doubles live on the JS heap (about 12.5 MB each as V8 stores them; counted as 16).
  'heap-hog.js': [
    started('heap-hog'),
    'const keep = [];',
    `for (let total = 0; total < ${HOG_LIMIT}; total += 16 * 2 ** 20) keep.push(new Array(2 ** 20).fill(Math.random()));`,
    'for (;;) {}',
  ].join('\n'),
  // Buffers live outside it; filled, so their pages are resident.
  'offheap-hog.js': [
    started('offheap-hog'),
    'const keep = [];',
    `for (let total = 0; total < ${HOG_LIMIT}; total += 64 * 2 ** 20) keep.push(Buffer.alloc(64 * 2 ** 20, 1));`,
    'for (;;) {}',
  ].join('\n'),
} as const;

export type RunawayModel = keyof typeof SOURCES;

/** Writes every runaway model to a new temp folder and returns it. */
export function writeRunawayModels(): string {
  const dir = mkdtempSync(join(tmpdir(), 'll-runaway-'));
  for (const [name, text] of Object.entries(SOURCES)) writeFileSync(join(dir, name), `${text}\n`);
  return dir;
}

/** Resolves once `model` in `dir` has started misbehaving (rejects after `ms`). */
export async function startedIn(dir: string, model: RunawayModel, ms = 60_000): Promise<void> {
  const marker = join(dir, model.replace(/\.js$/, '.started'));
  const deadline = Date.now() + ms;
  while (!existsSync(marker)) {
    if (Date.now() > deadline) throw new Error(`${model} did not start within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A light audit request of `model` in `dir`. */
export function runawayRequest(
  dir: string,
  model: RunawayModel,
  extra: Partial<AuditRequest> = {},
): AuditRequest {
  return {
    model: { source: 'module', file: join(dir, model) },
    cwd: dir,
    backend: 'cpu',
    budgetSeconds: 60,
    points: 2,
    seed: 1,
    probes: ['forward-lipschitz', 'reconstruction'],
    options: { maxIter: 200, roundTrips: 200 },
    ...extra,
  };
}
