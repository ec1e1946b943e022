import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadWebviewBundle, WebviewBundleError } from '../../src/report/webview-bundle';

describe('webview bundle for inlined pages', () => {
  it('bundled CLI: reads ../webview/report.js beside it, without its source map comment', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'll-dist-'));
    const cli = join(dist, 'cli', 'lipschitz-lens.js');
    await assert.rejects(
      loadWebviewBundle(cli),
      (e) => e instanceof WebviewBundleError && /npm run build/.test(e.message),
    );
    mkdirSync(join(dist, 'webview'));
    writeFileSync(join(dist, 'webview', 'report.js'), '(() => {})();\n//# sourceMappingURL=report.js.map\n');
    assert.equal(await loadWebviewBundle(cli), '(() => {})();\n');
    rmSync(dist, { recursive: true, force: true });
  });

  it('from source: an iife of the report UI, fresh from webview/src', async () => {
    const code = await loadWebviewBundle();
    // A dev build from source, or dist/webview/report.js when newer (minified after `npm run package`).
    assert.match(code, /^("use strict";\s*)?\(\(\)\s*=>\s*\{/);
    assert.ok(code.includes('lipschitz-lens-report'), 'the entry reads the embedded report');
    assert.ok(!code.includes('sourceMappingURL'));
  });
});
