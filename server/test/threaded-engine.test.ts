import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ThreadedEngine } from '../src/threaded-engine';
import { bigModel } from './big-model';

const OPTIONS = { rules: {}, maxBytes: 8 * 1024 * 1024 };
const SMALL = `import * as tf from '@tensorflow/tfjs';
export const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2] })] });
`;

describe('ThreadedEngine: analyses on a worker thread', { timeout: 120_000 }, () => {
  const logs: string[] = [];
  const engine = new ThreadedEngine((level, m) => logs.push(`${level}: ${m}`));
  after(() => engine.dispose());

  it('returns the analysis, plain data intact (IR, bounds map, findings)', async () => {
    const a = await engine.analyze('/tmp/ll-threaded/small.ts', SMALL, 1, OPTIONS);
    assert.equal(a.version, 1);
    assert.deepEqual(
      a.fileIr?.models.map((m) => m.name),
      ['m'],
    );
    assert.ok(a.bounds instanceof Map && a.bounds.size > 0);
    assert.deepEqual(
      a.findings.map((f) => f.ruleId),
      ['missing-lipschitz-constraint'],
    );
    assert.equal(engine.textOf('/tmp/ll-threaded/small.ts'), SMALL);
  });

  it('a newer text of a file being analysed supersedes it: every caller gets the newer result', async () => {
    const big = bigModel(200);
    const first = engine.analyze('/tmp/ll-threaded/big.ts', big, 1, OPTIONS);
    const second = engine.analyze('/tmp/ll-threaded/big.ts', `${big}\n// edit\n`, 2, OPTIONS);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a, b);
    assert.equal(b.version, 2);
    assert.equal(b.fileIr?.models.length, 200);
  });

  it('an urgent request goes first: it interrupts a long analysis of another file, which then runs again', async () => {
    let bigDone = false;
    const big = engine.analyze('/tmp/ll-threaded/big.ts', bigModel(600), 10, OPTIONS).then((a) => {
      bigDone = true;
      return a;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const small = await engine.analyze('/tmp/ll-threaded/small.ts', `${SMALL}// hovered\n`, 5, OPTIONS, true);
    assert.equal(small.version, 5);
    assert.equal(bigDone, false, 'the urgent analysis waited for the big one');
    const whole = await big;
    assert.equal(whole.version, 10);
    assert.equal(whole.fileIr?.models.length, 600);
  });

  it('a thread that dies mid-analysis costs that file one message, and the next analysis a new thread', async () => {
    const pending = engine.analyze('/tmp/ll-threaded/big.ts', bigModel(200), 3, OPTIONS);
    // The analysis thread is private: reached here to kill it as a crash (or an out-of-memory exit) would.
    const worker = (engine as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    const lost = await pending;
    assert.equal(lost.version, 3);
    assert.match(lost.skipped ?? '', /could not analyse this file: the analysis thread stopped/);
    const again = await engine.analyze('/tmp/ll-threaded/small.ts', SMALL, 2, OPTIONS);
    assert.equal(again.findings.length, 1);
  });

  it('an analysis over the heap cap costs that file one message, not the server its memory', async () => {
    const capped = new ThreadedEngine(() => undefined, 24);
    try {
      const lost = await capped.analyze('/tmp/ll-threaded/big.ts', bigModel(400), 1, OPTIONS);
      assert.match(lost.skipped ?? '', /could not analyse this file: .*memory limit/);
    } finally {
      capped.dispose();
    }
  });
});
