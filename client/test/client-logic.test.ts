import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport } from '../../core/src/report/build';
import { csp, embedJson, standaloneHtml, webviewHtml } from '../../core/src/report/page';
import { NEEDS_SETUP } from '../../core/src/protocol/lsp';
import { present } from '../src/health';
import { inputShapeSnippet } from '../src/input-shape-snippet';
import { manifestUsesTfjs } from '../src/tfjs-detect';
import { testAudit } from '../../core/test/report/audit-context';

describe('tfjs detection from package.json', () => {
  it('finds tfjs in any dependency field, and nothing in broken or unrelated manifests', () => {
    assert.equal(manifestUsesTfjs('{"dependencies":{"@tensorflow/tfjs-node":"4"}}'), true);
    assert.equal(manifestUsesTfjs('{"devDependencies":{"@tensorflow/tfjs":"4"}}'), true);
    assert.equal(manifestUsesTfjs('{"peerDependencies":{"lipschitz-lens":"0.1"}}'), true);
    assert.equal(manifestUsesTfjs('{"dependencies":{"react":"18"}}'), false);
    assert.equal(manifestUsesTfjs('{not json'), false);
    assert.equal(manifestUsesTfjs('null'), false);
  });
});

describe('status health presentation', () => {
  it('is loud for errors and unstable verdicts, quiet when ready', () => {
    assert.equal(present({ state: 'ready', trusted: true }).level, 'ok');
    assert.equal(present({ state: 'error', trusted: true }).level, 'error');
    assert.equal(present({ state: 'ready', trusted: true, lastVerdict: 'unstable' }).level, 'error');
    const untrusted = present({ state: 'ready', trusted: false });
    assert.equal(untrusted.level, 'warning');
    assert.match(untrusted.tooltip, /not trusted/);
    const p = present({ state: 'auditing', trusted: true, backend: 'wasm', lastVerdict: 'stable' });
    assert.match(p.text, /beaker~spin/);
    assert.match(p.tooltip, /Backend of the last audit: wasm/);
  });

  it('shows an audit that needs configuration as a step to take (a warning), never as a failed model', () => {
    const p = present({
      state: 'ready',
      trusted: true,
      lastVerdict: NEEDS_SETUP,
      lastVerdictText: 'input shape needed',
      message: 'The input shape of flow is unknown: add /** @inputShape [...] */ above it.',
    });
    assert.equal(p.level, 'warning');
    assert.equal(p.text, '$(pulse) Lipschitz input shape needed');
    assert.match(p.tooltip, /Last audit did not run: input shape needed\nThe input shape of flow is unknown/);
    assert.equal(present({ state: 'ready', trusted: true, lastVerdict: 'failed' }).level, 'error');
  });

  it('says what the verdict judged: fresh weights audit the architecture', () => {
    const p = present({
      state: 'ready',
      trusted: true,
      lastVerdict: 'stable',
      lastVerdictText: 'architecture looks stable (fresh weights)',
    });
    assert.equal(p.text, '$(pulse) Lipschitz architecture looks stable (fresh weights)');
    assert.match(p.tooltip, /Last verdict: architecture looks stable \(fresh weights\)/);
    assert.equal(p.level, 'ok');
  });
});

describe('"Add @inputShape" in VS Code', () => {
  it("makes the server's placeholder a tab stop and leaves a shape read from the code as it is", () => {
    assert.equal(inputShapeSnippet('  /** @inputShape [n] */\n'), '  /** @inputShape [${1:n}] */\n');
    assert.equal(inputShapeSnippet('/** @inputShape [28, 28, 1] */\n'), undefined);
    // The rest of the text is literal in the snippet.
    assert.equal(inputShapeSnippet('\t/** @inputShape [n] $x */\n'), '\t/** @inputShape [${1:n}] \\$x */\n');
  });
});

describe('report page HTML', () => {
  const report = buildReport({
    ...testAudit(),
    model: { name: '</script><script>alert(1)</script>', source: 'module' },
    settings: { probes: [], seed: 0, points: 1, budgetSeconds: 1, data: 'x', options: {} },
    probes: [],
    startedAt: Date.now(),
  });

  it('webview page: strict CSP with the nonce, script from the webview origin only', () => {
    const html = webviewHtml({
      nonce: 'abc',
      cspSource: 'vscode-resource:',
      scriptUri: 'vscode-resource:/r.js',
    }).replace(/&#39;/g, "'"); // attribute values are entity-escaped; browsers decode them
    assert.match(html, /default-src 'none'/);
    assert.match(html, /script-src 'nonce-abc'/);
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
    assert.match(html, /<script nonce="abc" src="vscode-resource:\/r.js"><\/script>/);
  });

  it('standalone page: no network sources at all, embedded JSON cannot close its script element', () => {
    assert.equal(csp('n'), "default-src 'none'; img-src data:; style-src 'nonce-n'; script-src 'nonce-n'");
    const html = standaloneHtml({ nonce: 'n', script: 'console.log("</script>")', report });
    assert.equal(html.match(/<\/script>/g)?.length, 2);
    assert.doesNotMatch(html, /<script>alert/);
    assert.deepEqual(JSON.parse(embedJson({ a: '<b>' })), { a: '<b>' });
  });
});
