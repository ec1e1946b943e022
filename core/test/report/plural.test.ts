import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plural } from '../../src/report/plural';

describe('plural', () => {
  it('says one without an s, and any other count with it', () => {
    assert.deepEqual(
      [0, 1, 2, 1.5].map((n) => plural(n, 'model')),
      ['0 models', '1 model', '2 models', '1.5 models'],
    );
  });
});
