import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allRules } from '../../core/src/rules';
import { AUDIT_DEFAULTS } from '../../core/src/protocol/worker-messages';
import { DEFAULT_SETTINGS, normalizeSettings, SettingsCache } from '../src/settings';

describe('lipschitzLens.rules: a level or [level, options]', () => {
  it('keeps levels and [level, {options}], copying the options', () => {
    const options = { threshold: 0.9 };
    const warnings: string[] = [];
    const s = normalizeSettings(
      { rules: { a: 'error', b: ['warning', options], c: ['off'], d: ['hint', {}] } },
      (m) => warnings.push(m),
    );
    assert.deepEqual(s.rules, { a: 'error', b: ['warning', { threshold: 0.9 }], c: 'off', d: ['hint', {}] });
    assert.notEqual((s.rules.b as [string, object])[1], options);
    assert.deepEqual(warnings, []);
  });

  it('drops a bad level and keeps the level of bad options, with a warning for each', () => {
    const warnings: string[] = [];
    const s = normalizeSettings(
      {
        rules: {
          loud: 'loud',
          tupleLoud: ['loud', { threshold: 1 }],
          long: ['warning', {}, 3],
          empty: [],
          number: 3,
          notObject: ['error', 'threshold=0.9'],
          arrayOptions: ['info', [0.9]],
          nullOptions: ['warning', null],
        },
      },
      (m) => warnings.push(m),
    );
    assert.deepEqual(s.rules, { notObject: 'error', arrayOptions: 'info', nullOptions: 'warning' });
    assert.equal(warnings.length, 8, warnings.join('\n'));
    assert.match(warnings[0]!, /lipschitzLens\.rules\.loud: expected a level .* got "loud"/);
    assert.match(warnings[5]!, /lipschitzLens\.rules\.notObject: options must be an object/);
  });

  it('the cache passes its warning sink to every pull', async () => {
    const warnings: string[] = [];
    const cache = new SettingsCache(
      async () => ({ rules: { x: ['warning', 7] } }),
      (m) => warnings.push(m),
    );
    assert.deepEqual((await cache.get('file:///a.ts')).rules, { x: 'warning' });
    assert.equal(warnings.length, 1);
  });
});

describe('the lipschitzLens.rules settings schema (package.json)', () => {
  interface Entry {
    oneOf: [
      { enum: string[] },
      { items: [{ enum: string[] }, { properties?: Record<string, { type: string }> }] },
    ];
  }
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { properties: Record<string, Entry> }> } };
  };
  const entries = manifest.contributes.configuration.properties['lipschitzLens.rules']!.properties;

  it('has a level-or-[level, options] entry for every rule, with the options each rule checks', () => {
    assert.deepEqual(Object.keys(entries).sort(), Object.keys(allRules).sort());
    for (const [id, rule] of Object.entries(allRules)) {
      const [level, tuple] = entries[id]!.oneOf;
      assert.deepEqual(level.enum, ['off', 'hint', 'info', 'warning', 'error']);
      assert.deepEqual(tuple.items[0].enum, level.enum);
      const documented = Object.entries(tuple.items[1].properties ?? {}).map(([k, v]) => `${k}:${v.type}`);
      const checked = Object.entries(rule.meta.schema?.properties ?? {}).map(([k, v]) => `${k}:${v.type}`);
      assert.deepEqual(documented, checked, id);
    }
  });
});

describe('audit defaults', () => {
  it('the manifest, the server and the CLI share AUDIT_DEFAULTS', () => {
    const props = (
      JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
        contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
      }
    ).contributes.configuration.properties;
    assert.equal(props['lipschitzLens.probes.budgetSeconds']!.default, AUDIT_DEFAULTS.budgetSeconds);
    assert.equal(props['lipschitzLens.probes.points']!.default, AUDIT_DEFAULTS.points);
    assert.equal(props['lipschitzLens.probes.seed']!.default, AUDIT_DEFAULTS.seed);
    assert.equal(props['lipschitzLens.probes.memoryCapMB']!.default, AUDIT_DEFAULTS.memoryCapMB);
    assert.equal(props['lipschitzLens.concurrentAudits']!.default, DEFAULT_SETTINGS.concurrentAudits);
    assert.deepEqual(
      { ...DEFAULT_SETTINGS.probes, probes: undefined, options: undefined },
      { ...AUDIT_DEFAULTS, probes: undefined, options: undefined },
    );
  });
});
