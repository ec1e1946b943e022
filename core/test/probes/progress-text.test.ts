/**
 * Issue 12, item 7: the progress line says "probe i of n: <title>" and the time left in the probe from its own
 * measured rate, and nothing before a rate has been measured.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressClock } from '../../src/probes/progress-text';
import type { AuditProgress } from '../../src/protocol/worker-messages';

function at(index: number, fraction: number, message?: string): AuditProgress {
  return {
    probe: 'attack',
    title: 'Invertibility attack',
    index,
    count: 8,
    fraction,
    ...(message === undefined ? {} : { message }),
  };
}

describe('progress line', () => {
  it('says probe i of n and its title, and no time left before a tenth of the probe and a second', () => {
    let now = 0;
    const clock = new ProgressClock(() => now);
    assert.equal(clock.line(at(3, 0)), 'probe 4 of 8: Invertibility attack');
    now = 5000;
    // Five seconds, but only 5% done: no basis yet.
    assert.equal(clock.line(at(3, 0.05, 'step 10')), 'probe 4 of 8: Invertibility attack — step 10');
    now = 500;
    const fast = new ProgressClock(() => now);
    fast.line(at(3, 0));
    now = 900;
    // 50% done in 0.4 s: under a second of measurement, still nothing.
    assert.equal(fast.line(at(3, 0.5)), 'probe 4 of 8: Invertibility attack');
  });

  it('gives the time left from the measured rate: 25% in 2 s leaves 6 s', () => {
    let now = 10_000;
    const clock = new ProgressClock(() => now);
    clock.line(at(3, 0));
    now = 12_000;
    assert.equal(clock.secondsLeft(at(3, 0.25)), 6);
    now = 13_000;
    assert.equal(
      clock.line(at(3, 0.5, 'step 100')),
      'probe 4 of 8: Invertibility attack — step 100 — ~3 s left in this probe',
    );
  });

  it('takes a new basis for a new probe and when a fraction goes back, and says nothing at the end', () => {
    let now = 0;
    const clock = new ProgressClock(() => now);
    clock.line(at(0, 0));
    now = 4000;
    assert.equal(clock.secondsLeft(at(0, 0.5)), 4);
    // The next probe starts: the previous probe's rate says nothing about it.
    now = 8000;
    assert.equal(clock.secondsLeft(at(1, 0.5)), undefined);
    now = 9000;
    assert.equal(clock.secondsLeft(at(1, 0.75)), 1);
    // A fraction that fell back (a phase counting from 0) starts a new basis.
    now = 10_000;
    assert.equal(clock.secondsLeft(at(1, 0.2)), undefined);
    now = 12_000;
    assert.equal(clock.secondsLeft(at(1, 0.4)), 6);
    assert.equal(clock.secondsLeft(at(1, 1)), undefined);
  });

  it('shows the loading message before the first probe', () => {
    const clock = new ProgressClock(() => 0);
    assert.equal(
      clock.line({ probe: 'load', index: -1, count: 8, fraction: 0, message: 'loading the model' }),
      'loading the model',
    );
  });
});
