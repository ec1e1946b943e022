/**
 * The Training monitor view's editor-free logic on a real run file (the TrainingMonitor measuring a flow whose
 * affine coupling is driven apart, core/test/helpers/growing-run.ts): which files are runs, reading a file as it
 * grows in pieces (half lines, a character split across reads), a threshold crossing told once per run, block
 * and quantity while the run grows, where a block's name is in the source, and the message guards.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRunFile, type RunFile } from '../../core/src/monitor/run-file';
import { isFromWebview, isToWebview } from '../../core/src/protocol/webview';
import { GROWING_BLOCK, recordGrowingRun, STEADY_BLOCK } from '../../core/test/helpers/growing-run';
import { blockNameRange } from '../src/block-source';
import {
  type Crossing,
  CrossingLedger,
  failureNotice,
  crossingMessage,
  effectiveThresholds,
  firstCrossings,
  GrowingFile,
  isRunFileStart,
  mayBeRunFile,
  shortNumber,
} from '../src/run-watch';

let lines: string[] = [];
before(async () => {
  lines = await recordGrowingRun();
});

describe('which files are run files', () => {
  it('knows a run by its complete first line, and nothing else by a first look', () => {
    const header = lines[0]!;
    assert.equal(mayBeRunFile(header.slice(0, 4096)), true);
    assert.equal(isRunFileStart(lines.join('')), true);
    // Half a header: maybe a run, not one yet (the next change of the file asks again).
    assert.equal(mayBeRunFile(header.slice(0, 60)), true);
    assert.equal(isRunFileStart(header.slice(0, 60)), false);
    // Other JSON lines, one naming the kind in a value, one broken, a log line.
    assert.equal(mayBeRunFile('{"event":"epoch","loss":0.3}\n'), false);
    assert.equal(isRunFileStart('{"type":"note","kind":"lipschitz-lens-run"}\n'), false);
    assert.equal(isRunFileStart('{"type":"header","kind":"lipschitz-lens-run",\n'), false);
    assert.equal(mayBeRunFile('lipschitz-lens-run started\n'), false);
  });
});

describe('a run file read as it grows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-run-watch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function readRange(path: string, from: number, to: number): Promise<Buffer> {
    const h = await open(path, 'r');
    try {
      const buf = Buffer.alloc(to - from);
      const { bytesRead } = await h.read(buf, 0, buf.length, from);
      return buf.subarray(0, bytesRead);
    } finally {
      await h.close();
    }
  }

  const sizeOf = (path: string) => (): Promise<number> => Promise.resolve(statSync(path).size);

  it('reads only what was appended, across half lines and a split character, to the same run', async () => {
    const path = join(dir, 'run.jsonl');
    const whole = Buffer.from(lines.join(''));
    writeFileSync(path, lines[0]!);
    const file = new GrowingFile(readFileSync(path));
    const reads: Array<[number, number]> = [];
    const read = (from: number, to: number): Promise<Buffer> => {
      reads.push([from, to]);
      return readRange(path, from, to);
    };
    assert.equal(await file.sync(sizeOf(path), read), 'unchanged');
    let at = Buffer.byteLength(lines[0]!);
    // Each remaining line in two appends: the first stops mid-line.
    for (const line of lines.slice(1)) {
      const bytes = Buffer.from(line);
      const cut = Math.floor(bytes.length / 2);
      appendFileSync(path, bytes.subarray(0, cut));
      assert.equal(await file.sync(sizeOf(path), read), 'appended');
      const partial = parseRunFile(file.text());
      assert.equal(partial.partialBytes, cut, 'the half line is skipped, not an error');
      appendFileSync(path, bytes.subarray(cut));
      assert.equal(await file.sync(sizeOf(path), read), 'appended');
      at += bytes.length;
    }
    assert.equal(at, whole.length);
    assert.deepEqual(parseRunFile(file.text()), parseRunFile(whole.toString('utf8')));
    assert.ok(
      reads.every(([from], i) => i === 0 || from === reads[i - 1]![1]),
      'each read starts where the last stopped',
    );

    // A two-byte character split between two reads decodes whole.
    const accents = join(dir, 'accents.jsonl');
    const text = Buffer.from('{"model":"flüss"}\n');
    const split = text.indexOf(0xc3) + 1;
    writeFileSync(accents, text.subarray(0, split));
    const f2 = new GrowingFile(readFileSync(accents));
    appendFileSync(accents, text.subarray(split));
    await f2.sync(sizeOf(accents), (from, to) => readRange(accents, from, to));
    assert.equal(f2.text(), text.toString('utf8'));

    // Syncs asked for at once (a change event during the scan) read the appended bytes once, not twice.
    appendFileSync(path, lines[0]!);
    const both = await Promise.all([file.sync(sizeOf(path), read), file.sync(sizeOf(path), read)]);
    assert.deepEqual(both, ['appended', 'unchanged']);
    assert.equal(file.size, whole.length + Buffer.byteLength(lines[0]!));

    // A new run written over the old name is read again from the start.
    writeFileSync(path, lines[0]!);
    assert.equal(await file.sync(sizeOf(path), read), 'replaced');
    assert.equal(parseRunFile(file.text()).measurements.length, 0);
  });
});

/** The first measurement whose block's inverse lower bound at the data exceeds `t`, from the raw JSON lines. */
function firstAbove(block: string, t: number): { step: number; value: number } | undefined {
  for (const line of lines.slice(1)) {
    const m = JSON.parse(line) as {
      type: string;
      step: number;
      blocks?: Array<{ name: string; inverse?: { value: number | null } }>;
    };
    const v = m.blocks?.find((b) => b.name === block)?.inverse?.value;
    if (m.type === 'measurement' && typeof v === 'number' && v > t) return { step: m.step, value: v };
  }
  return undefined;
}

describe('threshold crossings', () => {
  it('tells each block and quantity once while the run grows, never the steady block', () => {
    const settings = { inverse: 100, reconstruction: 0.01 };
    const ledger = new CrossingLedger();
    const told: Crossing[] = [];
    let run: RunFile | undefined;
    for (let n = 1; n <= lines.length; n++) {
      run = parseRunFile(lines.slice(0, n).join(''));
      told.push(...ledger.fresh('run-a', firstCrossings(run, effectiveThresholds(run, settings))));
    }
    const inverse = told.filter((c) => c.quantity === 'inverse');
    assert.deepEqual(
      inverse.map((c) => c.block),
      [GROWING_BLOCK],
    );
    assert.equal(told.filter((c) => c.quantity === 'reconstruction').length, 1);
    const expected = firstAbove(GROWING_BLOCK, 100);
    assert.ok(expected, 'the fixture must cross 100');
    assert.equal(firstAbove(STEADY_BLOCK, 100), undefined);
    // The crossing at the data (scale 1), as the raw lines give it, unless the block crossed off the data first.
    const c = inverse[0]!;
    assert.ok(c.step <= expected.step);
    if (c.scale === 1) assert.deepEqual({ step: c.step, value: c.value }, expected);
    const first = run!.measurements[0]!.blocks.find((b) => b.name === GROWING_BLOCK)!;
    if (c.scale === 1) assert.equal(c.initial, first.inverse!.value);
    assert.match(crossingMessage(c), new RegExp(`^block ${GROWING_BLOCK}: inverse Lipschitz \\S+ .*at step`));
    // Told once: the same run again says nothing; a run file replaced by a new run starts afresh.
    assert.deepEqual(ledger.fresh('run-a', firstCrossings(run!, effectiveThresholds(run!, settings))), []);
    ledger.forget('run-a');
    assert.equal(ledger.fresh('run-a', firstCrossings(run!, effectiveThresholds(run!, settings))).length, 2);
    // Crossings seen before the editor watched are marked, not told.
    ledger.seen('run-b', firstCrossings(run!, effectiveThresholds(run!, settings)));
    assert.deepEqual(ledger.fresh('run-b', firstCrossings(run!, effectiveThresholds(run!, settings))), []);
  });

  it('tells a run whose measurements failed once, with the first failure, apart from its crossings', () => {
    const ledger = new CrossingLedger();
    const clean = parseRunFile(lines.join(''));
    assert.equal(failureNotice(clean), undefined);
    const error = (step: number, message: string): string =>
      `${JSON.stringify({ type: 'error', step, time: '', message })}\n`;
    const failing = parseRunFile(lines.slice(0, 3).join('') + error(7, 'inverse exploded'));
    const notice = failureNotice(failing)!;
    assert.equal(
      notice.message,
      `training monitor of ${failing.header.model}: the measurement after step 7 failed (inverse exploded)`,
    );
    assert.deepEqual(ledger.fresh('run-a', [notice]), [notice]);
    // A second failure in the same run is not a second notification; crossings of the run are still told.
    const again = parseRunFile(lines.slice(0, 3).join('') + error(7, 'inverse exploded') + error(8, 'again'));
    assert.deepEqual(ledger.fresh('run-a', [failureNotice(again)!]), []);
    const crossings = firstCrossings(
      clean,
      effectiveThresholds(clean, { inverse: 100, reconstruction: 0.01 }),
    );
    assert.equal(ledger.fresh('run-a', crossings).length, crossings.length);
  });

  it("uses the settings' thresholds where set, else the run's own", () => {
    const run = parseRunFile(lines.join(''));
    const own = run.header.settings;
    assert.deepEqual(effectiveThresholds(run, { inverse: null, reconstruction: null }), {
      inverse: own.inverseThreshold,
      reconstruction: own.reconstructionThreshold,
    });
    assert.deepEqual(effectiveThresholds(run, { inverse: 5, reconstruction: -1 }), {
      inverse: 5,
      reconstruction: own.reconstructionThreshold,
    });
    // Above every finite figure, only NaN/Inf crosses: it is the breakdown the alert is for.
    const huge = firstCrossings(run, { inverse: 1e300, reconstruction: 1e300 });
    assert.ok(huge.length > 0 && huge.every((c) => c.value === null));
    assert.deepEqual(
      huge.filter((c) => c.quantity === 'inverse').map((c) => c.block),
      [GROWING_BLOCK],
    );
  });

  it('words a crossing as the issue does', () => {
    const c: Crossing = {
      quantity: 'inverse',
      block: 'coupling_3',
      step: 1200,
      value: 1e4,
      scale: 1,
      initial: 12,
      threshold: 100,
    };
    assert.match(crossingMessage(c), /^block coupling_3: inverse Lipschitz 1e4 at step 1,200, up from 12 /);
    assert.match(crossingMessage({ ...c, scale: 2, value: null }), /NaN\/Inf \(probe points scaled 2x\)/);
    assert.deepEqual([27878.12, 12, 0.00314, 2.5e-7, 1.388, null].map(shortNumber), [
      '2.8e4',
      '12',
      '0.00314',
      '2.5e-7',
      '1.39',
      'NaN/Inf',
    ]);
  });
});

describe("a block's name in the source", () => {
  const source = [
    'const flow = new Flow([',
    "  new AffineCoupling({ scale: 'exp', name: 'coupling_10' }),",
    '  new AffineCoupling({ name: "coupling_1" }),',
    '  dense(`coupling_2`),',
    ']);',
  ].join('\n');

  it('finds the name config first, the exact literal else, and never a longer name', () => {
    const at = (needle: string): { line: number; character: number } => {
      const i = source.indexOf(needle);
      const before = source.slice(0, i).split('\n');
      return { line: before.length - 1, character: before[before.length - 1]!.length };
    };
    assert.deepEqual(blockNameRange(source, 'coupling_1'), {
      start: at('"coupling_1"'),
      end: { line: 2, character: at('"coupling_1"').character + '"coupling_1"'.length },
    });
    assert.deepEqual(blockNameRange(source, 'coupling_2')?.start, at('`coupling_2`'));
    assert.deepEqual(blockNameRange(source, 'coupling_10')?.start, at("'coupling_10'"));
    assert.equal(blockNameRange(source, 'coupling'), undefined);
    assert.equal(blockNameRange(source, 'coupling_1.'), undefined, 'a name is matched literally');
  });
});

describe('monitor message guards', () => {
  const thresholds = { inverse: 100, reconstruction: 0.01 };
  it('accepts well-formed monitor messages and refuses the rest', () => {
    assert.equal(isFromWebview({ type: 'reveal-block', run: 'file:///r.jsonl', block: 'coupling_0' }), true);
    assert.equal(isFromWebview({ type: 'reveal-block', run: 'file:///r.jsonl', block: '' }), false);
    assert.equal(isFromWebview({ type: 'reveal-block', block: 'coupling_0' }), false);
    const run = { id: 'file:///r.jsonl', label: 'r.jsonl', text: lines[0]! };
    assert.equal(isToWebview({ type: 'runs', runs: [run] }), true);
    assert.equal(isToWebview({ type: 'runs', runs: [{ ...run, thresholds }] }), true);
    assert.equal(isToWebview({ type: 'runs', runs: [] }), true);
    assert.equal(
      isToWebview({ type: 'runs', runs: [{ ...run, thresholds: { ...thresholds, inverse: NaN } }] }),
      false,
    );
    assert.equal(
      isToWebview({ type: 'runs', runs: [{ ...run, thresholds: { inverse: 0, reconstruction: 1 } }] }),
      false,
    );
    assert.equal(isToWebview({ type: 'runs', runs: [{ id: 'x', label: 'x' }] }), false);
    assert.equal(isToWebview({ type: 'runs', runs: 'x' }), false);
  });
});
