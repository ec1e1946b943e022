/** Every rule is exported, documented and consistent with its file and messages (typescript-eslint's meta tests). */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allRules } from '../../src/rules';
import { findDocsRoot, ruleDocsPath } from '../../src/rules/rule-docs';

const root = join(__dirname, '..', '..', '..');
const rulesDir = join(root, 'core', 'src', 'rules');
const INFRA = new Set([
  'rule',
  'index',
  'all-rules',
  'run-rules',
  'source-text',
  'placement',
  'fixes',
  'rule-docs',
  'message-text',
]);
const ruleFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((f) => !INFRA.has(f));

describe('rule meta', () => {
  it('index exports every rule file, and nothing else', () => {
    assert.deepEqual(Object.keys(allRules).sort(), [...ruleFiles].sort());
  });

  it('the catalogue lists every rule, and only them', () => {
    const readme = readFileSync(join(root, 'docs', 'rules', 'README.md'), 'utf8');
    const listed = new Set([...readme.matchAll(/^\d+\. `([a-z-]+)`/gm)].map((m) => m[1]));
    assert.deepEqual([...listed].sort(), Object.keys(allRules).sort());
  });

  for (const [id, rule] of Object.entries(allRules)) {
    describe(id, () => {
      it('id equals the key and the file name', async () => {
        assert.equal(rule.id, id);
        const mod = (await import(join(rulesDir, `${id}.ts`))) as { rule: unknown };
        assert.equal(mod.rule, rule);
      });
      it('has a docs page where links look for it', () => {
        assert.equal(findDocsRoot(rulesDir), root);
        const page = ruleDocsPath(root, id);
        assert.ok(existsSync(page), `missing ${page}`);
        assert.match(readFileSync(page, 'utf8'), new RegExp(`^# ${id}\\n`));
        assert.ok(rule.meta.docs.description.length > 0);
      });
      it('every messageId used in the source exists, and every message is used', () => {
        const text = readFileSync(join(rulesDir, `${id}.ts`), 'utf8');
        const used = new Set([...text.matchAll(/messageId: '([A-Za-z]+)'/g)].map((m) => m[1]!));
        const declared = Object.keys(rule.meta.messages);
        for (const m of used) assert.ok(declared.includes(m), `${m} is not declared`);
        for (const m of declared) assert.ok(used.has(m), `${m} is never reported`);
      });
      it('default options match the schema', () => {
        const props = rule.meta.schema?.properties ?? {};
        for (const [key, value] of Object.entries(rule.meta.defaultOptions ?? {})) {
          assert.equal(typeof value, props[key]?.type, `${key}`);
        }
      });
    });
  }
});
