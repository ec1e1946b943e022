import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideActivation, stayingOffMessage } from '../src/activation';

describe('server activation decision', () => {
  const detector = (uses: boolean): { calls: number; detect: () => Promise<boolean> } => {
    const d = {
      calls: 0,
      detect: async (): Promise<boolean> => {
        d.calls++;
        return uses;
      },
    };
    return d;
  };

  it('off never starts, even where tfjs is used, and does not scan the manifests', async () => {
    const d = detector(true);
    assert.deepEqual(await decideActivation('off', d.detect), { start: false, reason: 'off' });
    assert.equal(d.calls, 0);
  });

  it('always starts without scanning', async () => {
    const d = detector(false);
    assert.deepEqual(await decideActivation('always', d.detect), { start: true });
    assert.equal(d.calls, 0);
  });

  it('auto starts exactly when a manifest depends on tfjs', async () => {
    assert.deepEqual(await decideActivation('auto', detector(true).detect), { start: true });
    assert.deepEqual(await decideActivation('auto', detector(false).detect), {
      start: false,
      reason: 'no-tfjs',
    });
  });

  it('says why the server stays off: the setting, or no tfjs dependency', () => {
    assert.match(stayingOffMessage('off'), /activation is "off"/);
    assert.doesNotMatch(stayingOffMessage('off'), /package\.json/);
    assert.match(stayingOffMessage('no-tfjs'), /No package\.json here depends on @tensorflow\/tfjs/);
  });
});
