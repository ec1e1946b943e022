import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logSplits, tickLabel } from '../src/ticks';

describe('log axis splits', () => {
  it('puts one split per decade when they fit, never the minor ticks', () => {
    assert.deepEqual(logSplits(1e-3, 10, 10), [1e-3, 1e-2, 0.1, 1, 10]);
  });

  it('keeps every n-th decade, on multiples of n, when the decades are more than the labels that fit', () => {
    // 1e-7 .. 1: eight decades, five labels fit: every second, at even exponents.
    assert.deepEqual(logSplits(1e-7, 1, 5), [1e-6, 1e-4, 1e-2, 1]);
    assert.deepEqual(logSplits(1e-12, 1e3, 4), [1e-12, 1e-8, 1e-4, 1]);
  });

  it('uses 1, 2 and 5 times the decades over a range of one or two decades', () => {
    assert.deepEqual(logSplits(1, 10, 8), [1, 2, 5, 10]);
    assert.deepEqual(logSplits(0.3, 4, 8), [0.5, 1, 2]);
    assert.deepEqual(logSplits(1.2, 1.9, 8), [1.2, 1.9]);
  });

  it('thins 1-2-5 splits to the labels that fit, and takes nothing from an empty or non-positive range', () => {
    assert.deepEqual(logSplits(1, 10, 2), [1, 5]);
    assert.deepEqual(logSplits(0, 10, 5), []);
    assert.deepEqual(logSplits(-1, 10, 5), []);
  });
});

describe('tick labels', () => {
  it('write small and large values in exponent notation, others to three digits', () => {
    assert.deepEqual([1e-7, 0.004, 0.5, 1, 123.456, 2e4, null].map(tickLabel), [
      '1e-7',
      '4e-3',
      '0.5',
      '1',
      '123',
      '2e+4',
      '',
    ]);
  });
});
