/**
 * The training monitor view's logic that needs no editor: which files are run files (by their first line, never
 * by parsing a whole unrelated file), how a growing file is read from where the last read stopped, and which
 * threshold crossings are new, so each block and quantity is notified once per run.
 */
import { type RunFile, type RunMeasurement } from '../../core/src/monitor/run-file';
import { inverseCrossing, type Thresholds } from '../../core/src/monitor/summary';

/** Bytes read of a file that may be a run: the header's `type` and `kind` come first in its first line. */
export const PEEK_BYTES = 4096;

/**
 * The cheap check on a file's first bytes, before reading it whole: a run file starts with a JSON object whose
 * first line names its kind. Most `.jsonl` files are not runs and are never read further.
 */
export function mayBeRunFile(start: string): boolean {
  const end = start.indexOf('\n');
  const line = end < 0 ? start : start.slice(0, end);
  return line.trimStart().startsWith('{') && line.includes('"lipschitz-lens-run"');
}

/**
 * Whether the start of a file is a run file's header: its first line (complete) parses as an
 * object of kind `lipschitz-lens-run`. A run that is starting (header not yet written whole) is not one yet;
 * the next change of the file asks again. A header of another version is a run file too: the view says which
 * version it cannot read rather than ignoring it.
 */
export function isRunFileStart(start: string): boolean {
  const end = start.indexOf('\n');
  if (end < 0) return false;
  const line = start.slice(0, end);
  if (!mayBeRunFile(line)) return false;
  try {
    const head: unknown = JSON.parse(line);
    return (
      typeof head === 'object' &&
      head !== null &&
      (head as { type?: unknown }).type === 'header' &&
      (head as { kind?: unknown }).kind === 'lipschitz-lens-run'
    );
  } catch {
    return false;
  }
}

/** What to read of a file that was `known` bytes long when last read and is `size` bytes now. */
export type ReadPlan = { kind: 'unchanged' } | { kind: 'append'; from: number } | { kind: 'reread' };

/**
 * Run files only grow (each line one append): a larger file is read from where the last read stopped. A smaller
 * one was replaced (a new run written over the old name), so it is read again from the start.
 */
export function readPlan(known: number, size: number): ReadPlan {
  if (size === known) return { kind: 'unchanged' };
  return size > known ? { kind: 'append', from: known } : { kind: 'reread' };
}

/**
 * A run file's bytes as read so far, brought up to date from the file's current size by reading only what was
 * appended. Bytes, not text: a character split across two reads is decoded whole. Syncs run one after another:
 * two at once (a change event during the startup scan) would both append the same bytes.
 */
export class GrowingFile {
  private bytes: Buffer;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(initial: Buffer) {
    this.bytes = initial;
  }

  get size(): number {
    return this.bytes.length;
  }

  text(): string {
    return this.bytes.toString('utf8');
  }

  /**
   * Reads what changed, given the size to read up to (`size()` asked once this sync's turn comes, so it is
   * never older than the bytes already read). 'replaced': the file shrank and was read again from the start (a
   * new run under the old name).
   */
  sync(
    size: () => Promise<number>,
    read: (from: number, to: number) => Promise<Buffer>,
  ): Promise<'unchanged' | 'appended' | 'replaced'> {
    const next = this.queue.then(async () => {
      const now = await size();
      const plan = readPlan(this.bytes.length, now);
      if (plan.kind === 'unchanged') return 'unchanged' as const;
      if (plan.kind === 'append') {
        this.bytes = Buffer.concat([this.bytes, await read(plan.from, now)]);
        return 'appended' as const;
      }
      this.bytes = await read(0, now);
      return 'replaced' as const;
    });
    // A failed read fails its own caller, not the syncs queued after it.
    this.queue = next.catch(() => undefined);
    return next;
  }
}

export type CrossingQuantity = 'inverse' | 'reconstruction';

/** A threshold crossing the editor tells the user about. */
export interface Crossing {
  quantity: CrossingQuantity;
  /** The block's name, or the model's for reconstruction (a whole-model figure). */
  block: string;
  step: number;
  /** null: NaN/Inf. */
  value: number | null;
  /** Multiple of the probe batch where it crossed (1: the data). */
  scale: number;
  /** The same figure in the run's first measurement. */
  initial: number | null;
  threshold: number;
}

/** A figure as a notification shows it: 1e4, 12, 0.0031, 2.5e-7. */
export function shortNumber(v: number | null): string {
  if (v === null) return 'NaN/Inf';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-3)) {
    const [mantissa, exponent] = v.toExponential(1).split('e');
    return `${mantissa!.replace(/\.0$/, '')}e${Number(exponent)}`;
  }
  return String(Number(v.toPrecision(3)));
}

/** "block coupling_3: inverse Lipschitz 1e4 at step 1,200, up from 12". */
export function crossingMessage(c: Crossing): string {
  const where = c.scale === 1 ? '' : ` (probe points scaled ${c.scale}x)`;
  const step = c.step.toLocaleString('en-US');
  const from = c.initial === null ? '' : `, up from ${shortNumber(c.initial)}`;
  return c.quantity === 'inverse'
    ? `block ${c.block}: inverse Lipschitz ${shortNumber(c.value)}${where} at step ${step}${from} (threshold ${shortNumber(c.threshold)}; a lower bound at the probe points)`
    : `model ${c.block}: reconstruction error ${shortNumber(c.value)}${where} at step ${step}${from} (threshold ${shortNumber(c.threshold)})`;
}

function inverseAt(m: RunMeasurement | undefined, block: string, scale: number): number | null {
  const b = m?.blocks.find((x) => x.name === block);
  if (b === undefined) return null;
  if (scale === 1) return b.inverse?.value ?? null;
  return b.inverseOutOfDistribution?.find((e) => e.scale === scale)?.value ?? null;
}

/** The first crossing of each block's inverse lower bound and of the model's reconstruction error in a run. */
export function firstCrossings(run: RunFile, thresholds: Thresholds): Crossing[] {
  const out: Crossing[] = [];
  const first = run.measurements[0];
  for (const info of run.header.blocks) {
    for (const m of run.measurements) {
      const b = m.blocks.find((x) => x.name === info.name);
      const hit = b && inverseCrossing(b, thresholds.inverse);
      if (hit) {
        out.push({
          quantity: 'inverse',
          block: info.name,
          step: m.step,
          value: hit.value,
          scale: hit.scale,
          initial: inverseAt(first, info.name, hit.scale),
          threshold: thresholds.inverse,
        });
        break;
      }
    }
  }
  for (const m of run.measurements) {
    const r = m.reconstruction.find((x) => x.max === null || x.max > thresholds.reconstruction);
    if (r) {
      out.push({
        quantity: 'reconstruction',
        block: run.header.model,
        step: m.step,
        value: r.max,
        scale: r.scale,
        initial: first?.reconstruction.find((x) => x.scale === r.scale)?.max ?? null,
        threshold: thresholds.reconstruction,
      });
      break;
    }
  }
  return out;
}

/** What a notification is about: a block's (or the model's) crossing, or the run's failed measurements. */
export interface Notice {
  quantity: CrossingQuantity | 'failure';
  block: string;
}

/** The notice of a run whose measurements failed: one per run, with the first failure. */
export function failureNotice(run: RunFile): (Notice & { message: string }) | undefined {
  const first = run.errors[0];
  if (first === undefined) return undefined;
  const stopped = run.end?.reason === 'failed' ? '; the monitor stopped measuring' : '';
  return {
    quantity: 'failure',
    block: run.header.model,
    message: `training monitor of ${run.header.model}: the measurement after step ${first.step} failed (${first.message})${stopped}`,
  };
}

/**
 * Remembers which (run, quantity, block) notices were told, so a growing run notifies each once. `seen` marks
 * notices as told without telling: for runs that had crossed before the editor started watching them.
 */
export class CrossingLedger {
  private readonly told = new Set<string>();

  private key(run: string, c: Notice): string {
    return JSON.stringify([run, c.quantity, c.block]);
  }

  /** The notices of `run` not told yet, now marked told. */
  fresh<T extends Notice>(run: string, notices: readonly T[]): T[] {
    return notices.filter((c) => {
      const k = this.key(run, c);
      if (this.told.has(k)) return false;
      this.told.add(k);
      return true;
    });
  }

  seen(run: string, notices: readonly Notice[]): void {
    for (const c of notices) this.told.add(this.key(run, c));
  }

  /** A run file replaced by a new run starts afresh. */
  forget(run: string): void {
    for (const k of [...this.told]) if ((JSON.parse(k) as string[])[0] === run) this.told.delete(k);
  }
}

/** Thresholds from the settings where set (positive), else the run's own, as `lipschitz-lens monitor` does. */
export function effectiveThresholds(
  run: RunFile,
  settings: { inverse: number | null; reconstruction: number | null },
): Thresholds {
  const pick = (v: number | null, own: number): number =>
    v !== null && Number.isFinite(v) && v > 0 ? v : own;
  return {
    inverse: pick(settings.inverse, run.header.settings.inverseThreshold),
    reconstruction: pick(settings.reconstruction, run.header.settings.reconstructionThreshold),
  };
}

/** Calls `fn` once `ms` after the last of a burst of `trigger`s for the same key. */
export class Debouncer<K> {
  private readonly timers = new Map<K, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly ms: number,
    private readonly fn: (key: K) => void,
  ) {}

  trigger(key: K): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.fn(key);
      }, this.ms),
    );
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
