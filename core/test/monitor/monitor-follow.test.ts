/**
 * `lipschitz-lens monitor --follow` on a run file that grows while it reads: it waits for the file and its header,
 * shows progress as measurements arrive, does not choke on a line caught half-written, and stops at the run's end
 * line with the summary of the whole run.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend';
import { runMonitor } from '../../src/cli/monitor';
import { Flow, AdditiveCoupling } from '../../src/layers';
import { TrainingMonitor } from '../../src/monitor/training-monitor';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('lipschitz-lens monitor --follow', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-monitor-follow-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('follows a growing file to its end line', async () => {
    await selectBackend({ prefer: 'wasm' });
    const flow = new Flow([
      new AdditiveCoupling({ hiddenUnits: 8, zeroInit: false, seed: 1, name: 'add_0' }),
    ]);
    const data = tf.randomNormal([8, 4], 0, 1, 'float32', 7);
    const monitor = new TrainingMonitor(flow, { data, dir, everySteps: 1, name: 'grows' });
    for (let step = 0; step < 4; step++) monitor.step(step);
    monitor.end();
    data.dispose();
    const lines = readFileSync(monitor.file, 'utf8').split(/(?<=\n)/);
    assert.equal(lines.length, 6, 'header, 4 measurements, end');

    const growing = join(dir, 'growing.jsonl');
    let out = '';
    let err = '';
    const io = { cwd: dir, stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
    // Started before the training: it waits for the file, then for its header line.
    const done = runMonitor([growing, '--follow', '--interval', '10'], io);
    let finished = false;
    void done.then(() => (finished = true));
    await sleep(60);
    writeFileSync(growing, lines[0]!.slice(0, 40));
    await sleep(60);
    appendFileSync(growing, lines[0]!.slice(40) + lines[1]!);
    for (const line of lines.slice(2, 5)) {
      await sleep(60);
      // Half a line first: the reader must wait for the rest.
      appendFileSync(growing, line.slice(0, 30));
      await sleep(40);
      appendFileSync(growing, line.slice(30));
    }
    await sleep(60);
    assert.equal(finished, false, 'still following before the end line');
    appendFileSync(growing, lines[5]!);
    assert.equal(await done, 0, err);
    assert.equal(err.match(/waiting for .*growing\.jsonl to start/g)?.length, 1);
    // A progress line per measurement count seen (stderr is not a terminal here).
    assert.match(err, /step 0, 1 measurements/);
    assert.match(err, /step 3, 4 measurements/);
    assert.match(out, /grows: 4 measurements, last at step 3, run ended/);
  });
});
