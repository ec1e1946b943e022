import assert from 'node:assert/strict';
import { promises as fsp, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EMBEDDED_STATIC_BOUNDS_ID, type StaticBlockBound } from '../../core/src/protocol/webview';
import { buildReport } from '../../core/src/report/build';
import { fillUp, mountTmpfs } from '../../core/test/helpers/tmpfs';
import { exportedHtml, type SaveFileSystem, saveWhole, temporaryName } from '../src/report-export';
import { testAudit } from '../../core/test/report/audit-context';

describe('exported HTML report', () => {
  const report = buildReport({
    ...testAudit(),
    model: { name: 'critic', source: 'module' },
    settings: { probes: [], seed: 0, points: 1, budgetSeconds: 1, data: 'x', options: {} },
    probes: [],
    startedAt: Date.now(),
  });
  const bundle = '(() => { console.log("report ui"); })();\n//# sourceMappingURL=report.js.map\n';

  it('embeds the static bounds, as the CLI page does', () => {
    const bounds: StaticBlockBound[] = [{ label: 'dense', forward: 2.5, inverse: 'unbounded', source: 'x' }];
    const html = exportedHtml(report, bundle, bounds);
    const m = html.match(
      new RegExp(`<script type="application/json" id="${EMBEDDED_STATIC_BOUNDS_ID}">([^<]*)</script>`),
    );
    assert.ok(m, 'a static bounds element');
    assert.deepEqual(JSON.parse(m[1]!), bounds);
  });

  it('has no static bounds element without bounds, and never the bundle source map comment', () => {
    const html = exportedHtml(report, bundle);
    assert.ok(!html.includes(EMBEDDED_STATIC_BOUNDS_ID));
    assert.ok(html.includes('console.log("report ui")'));
    assert.ok(!html.includes('sourceMappingURL'));
  });
});

/** `vscode.workspace.fs` on paths, as the extension host's disk provider does it. */
const nodeFs: SaveFileSystem<string> = {
  writeFile: (path, content) => fsp.writeFile(path, content),
  rename: (source, target) => fsp.rename(source, target),
  delete: (path) => fsp.unlink(path),
};

describe('saving an export', () => {
  it('replaces an earlier export and leaves no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-export-'));
    try {
      const target = join(dir, 'critic.stability.html');
      writeFileSync(target, 'earlier');
      await saveWhole(
        nodeFs,
        target,
        join(dir, temporaryName('critic.stability.html', 'r1')),
        Buffer.from('new'),
      );
      assert.equal(readFileSync(target, 'utf8'), 'new');
      assert.deepEqual(readdirSync(dir), ['critic.stability.html']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('on a full disk (a 64 KiB tmpfs)', () => {
    const fs = mountTmpfs(64);
    after(() => 'unmount' in fs && fs.unmount());
    it('keeps the earlier export byte for byte and removes the temporary file', async (t) => {
      if ('skip' in fs) return t.skip(fs.skip);
      const target = join(fs.dir, 'critic.stability.json');
      writeFileSync(target, '{"earlier":true}\n');
      fillUp(fs.dir);
      await assert.rejects(
        saveWhole(
          nodeFs,
          target,
          join(fs.dir, temporaryName('critic.stability.json', 'r2')),
          Buffer.alloc(20_000),
        ),
        /ENOSPC/,
      );
      assert.equal(readFileSync(target, 'utf8'), '{"earlier":true}\n');
      assert.deepEqual(readdirSync(fs.dir).sort(), ['critic.stability.json', 'filler']);
    });
  });
});
