import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CancellationTokenSource,
  type CodeAction,
  CodeActionRequest,
  type CodeLens,
  CodeLensRefreshRequest,
  CodeLensRequest,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
  type MarkupContent,
  ResponseError,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  type AuditParams,
  type AuditResult,
  AuditRequest,
  type InitializationOptions,
  LintWorkspaceRequest,
  type LintWorkspaceResult,
  TrustNotification,
} from '../../core/src/protocol/lsp';
import { type Harness, startServer } from './lsp-harness';

const folder = join(__dirname, 'fixtures', 'workspace');
const file = join(folder, 'models.ts');
const uri = pathToFileURL(file).href;
const settings = {
  lintDelayMs: 10,
  maxFileSizeMB: 0.05,
  backend: 'cpu',
  probes: {
    budgetSeconds: 60,
    points: 4,
    seed: 1,
    probes: ['forward-lipschitz'],
    options: { pairSteps: 2, maxIter: 10 },
  },
};

function audit(h: Harness, params: AuditParams, token?: CancellationTokenSource): Promise<AuditResult> {
  // Passing an undefined token would send it as a second positional parameter.
  const sent = token
    ? h.connection.sendRequest(AuditRequest.method, params, token.token)
    : h.connection.sendRequest(AuditRequest.method, params);
  return sent as Promise<AuditResult>;
}

describe('language server over stdio', { timeout: 240_000 }, () => {
  let h: Harness;
  let doc: TextDocument;

  before(async () => {
    h = startServer(settings);
    const init: InitializationOptions = { workspaceTrusted: false };
    const result = await h.initialize(folder, {
      name: 'fixture',
      capabilities: { workspace: { codeLens: { refreshSupport: true } }, window: { workDoneProgress: true } },
      initializationOptions: init,
    });
    assert.ok(result.capabilities.hoverProvider);
    doc = TextDocument.create(uri, 'typescript', 1, readFileSync(file, 'utf8'));
  });
  after(async () => h?.close());

  it('publishes diagnostics with rule id, severity, docs link and source on open', async () => {
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'typescript', version: 1, text: doc.getText() },
    });
    const diags = await h.diagnostics(uri);
    assert.deepEqual(
      diags.map((d) => [d.code, d.range.start.line]),
      [
        ['missing-lipschitz-constraint', 7],
        ['missing-lipschitz-constraint', 8],
        ['missing-lipschitz-constraint', 18],
      ],
    );
    for (const d of diags) {
      assert.equal(d.source, 'lipschitz-lens');
      assert.equal(d.severity, DiagnosticSeverity.Warning);
      // A client that does not run the extension's command gets the shipped page's file (rule-links.test.ts).
      assert.equal(
        d.codeDescription?.href,
        pathToFileURL(join(__dirname, '..', '..', 'docs', 'rules', 'missing-lipschitz-constraint.md')).href,
      );
    }
  });

  it('hovers a layer with a bounds table', async () => {
    const hover = await h.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: 7, character: 20 },
    });
    const md = (hover!.contents as MarkupContent).value;
    assert.match(md, /layer `dense`/);
    assert.match(md, /\| \| forward \| inverse \| source \|/);
    // The layer is flagged: the hover names the finding and its fix, from the diagnostics published.
    assert.match(
      md,
      /\*\*warning\*\* `missing-lipschitz-constraint`: tf\.layers\.dense has no Lipschitz constraint/,
    );
    assert.match(md, /\*\*Fix:\*\* add kernelConstraint: spectralNorm\(\{ coeff: 0\.9 \}\)/);
  });

  it('applies a quick fix and the diagnostic goes away', async () => {
    const diags = await h.diagnostics(uri);
    const target = diags[0]!;
    const actions = (await h.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: target.range,
      context: { diagnostics: [target] },
    })) as CodeAction[];
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Add kernelConstraint: spectralNorm({ coeff: 0.9 })'), titles.join());
    assert.ok(
      titles.some((t) => t.startsWith('Disable missing-lipschitz-constraint')),
      titles.join(),
    );
    assert.ok(titles.includes('Fix all missing-lipschitz-constraint problems in file'), titles.join());
    const fix = actions.find((a) => a.isPreferred)!;
    const edits: TextEdit[] = fix.edit!.changes![uri]!;
    const text = TextDocument.applyEdits(doc, edits);
    assert.match(text, /import \{ spectralNorm \} from 'lipschitz-lens';/);
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text }],
    });
    const after = await h.diagnostics(uri, (_d, v) => v === 2);
    // One import line was added above: the remaining layers moved down by one.
    assert.deepEqual(
      after.map((d) => d.range.start.line),
      [9, 19],
    );
    doc = TextDocument.create(uri, 'typescript', 2, text);
  });

  it('offers source.fixAll for the whole file', async () => {
    const actions = (await h.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    })) as CodeAction[];
    assert.equal(actions.length, 1);
    assert.equal(actions[0]!.kind, 'source.fixAll.lipschitzLens');
    const fixed = TextDocument.applyEdits(doc, actions[0]!.edit!.changes![uri]!);
    assert.equal(fixed.match(/kernelConstraint: spectralNorm/g)?.length, 3);
  });

  it('survives broken code and skips a huge file with one info diagnostic', async () => {
    const broken = pathToFileURL(join(folder, 'broken.ts')).href;
    const huge = pathToFileURL(join(folder, 'huge.ts')).href;
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: {
        uri: broken,
        languageId: 'typescript',
        version: 1,
        text: 'import * as tf from "@tensorflow/tfjs";\nconst m = tf.sequential({ layers: [tf.layers.dense({ units: ',
      },
    });
    await h.diagnostics(broken);
    const big = `// ${'x'.repeat(100)}\n`.repeat(1000);
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: huge, languageId: 'typescript', version: 1, text: big },
    });
    const d = await h.diagnostics(huge);
    assert.equal(d.length, 1);
    assert.equal(d[0]!.severity, DiagnosticSeverity.Information);
    assert.match(d[0]!.message, /over the 0\.05 MB limit/);
  });

  it('rule options set through workspace/configuration change the diagnostics', async () => {
    const residual = pathToFileURL(join(folder, 'residual.ts')).href;
    const rule = 'residual-coefficient-too-large';
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: {
        uri: residual,
        languageId: 'typescript',
        version: 1,
        text: [
          "import * as tf from '@tensorflow/tfjs';",
          "import { spectralNorm } from 'lipschitz-lens';",
          'const x = tf.input({ shape: [8] });',
          'const h = tf.layers.dense({ units: 8, kernelConstraint: spectralNorm({ c: 0.97 }) }).apply(x) as tf.SymbolicTensor;',
          'export const iresnet = tf.model({ inputs: x, outputs: tf.layers.add().apply([x, h]) as tf.SymbolicTensor });',
        ].join('\n'),
      },
    });
    const codes = (d: { code?: unknown }[]): unknown[] => d.map((x) => x.code).filter((c) => c === rule);
    // c = 0.97 is above the default threshold (0.95).
    assert.deepEqual(codes(await h.diagnostics(residual, (d) => codes(d).length > 0)), [rule]);
    try {
      h.setSettings({ ...settings, rules: { [rule]: ['warning', { threshold: 0.98 }] } });
      await h.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      await h.diagnostics(residual, (d) => codes(d).length === 0);
      // Bad options: the rule's defaults again (and a logged warning), never a crash.
      h.setSettings({ ...settings, rules: { [rule]: ['error', { threshold: 'high' }] } });
      await h.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const bad = await h.diagnostics(residual, (d) => codes(d).length > 0);
      assert.equal(bad.find((d) => d.code === rule)?.severity, DiagnosticSeverity.Error);
    } finally {
      h.setSettings(settings);
      await h.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }
  });

  it('lints the workspace on request', async () => {
    const r = (await h.connection.sendRequest(LintWorkspaceRequest.method, {})) as LintWorkspaceResult;
    assert.ok(r.files >= 1, JSON.stringify(r));
  });

  it('refuses to audit in an untrusted workspace', async () => {
    await assert.rejects(
      audit(h, { scope: 'model', uri, position: { line: 5, character: 4 } }),
      (e: unknown) => {
        assert.ok(e instanceof ResponseError);
        assert.equal(e.code, -32001);
        return true;
      },
    );
  });

  it('titles the audit lens "(trust required)" until trust is granted, then asks for a lens refresh', async () => {
    const lenses = async (): Promise<string[]> =>
      ((await h.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[]).map(
        (l) => `${l.command?.command} ${l.command?.title}`,
      );
    assert.deepEqual(await lenses(), [
      'lipschitzLens.auditModel Audit stability (trust required)',
      'lipschitzLens.auditModel Audit stability (trust required)',
    ]);
    const refreshed = new Promise<void>((resolve) =>
      h.connection.onRequest(CodeLensRefreshRequest.type, () => resolve()),
    );
    await h.connection.sendNotification(TrustNotification.method, { trusted: true });
    await refreshed;
    assert.deepEqual(await lenses(), [
      'lipschitzLens.auditModel Audit stability',
      'lipschitzLens.auditModel Audit stability',
    ]);
  });

  it('audits a model with $/progress once trusted, and hovers show the measurement', async () => {
    await h.connection.sendNotification(TrustNotification.method, { trusted: true });
    const token = 'audit-1';
    const result = await audit(h, {
      scope: 'model',
      uri,
      position: { line: 5, character: 4 },
      workDoneToken: token,
    });
    const outcome = result.outcomes[0]!;
    assert.equal(outcome.model.name, 'critic');
    assert.ok(outcome.report, outcome.error);
    assert.equal(outcome.report.status, 'complete', JSON.stringify(outcome.report.error));
    assert.equal(outcome.staticBounds?.length, 2);
    const probe = outcome.report.probes.find((p) => p.id === 'forward-lipschitz');
    assert.equal(probe?.status, 'ok', probe?.message);
    assert.ok(probe.figures.some((f) => f.id === 'sigma-max' && typeof f.value === 'number' && f.value > 0));
    const kinds = h.progress(token).map((v) => v.kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds.at(-1), 'end');
    assert.ok(kinds.includes('report'), kinds.join());
    // The notification reads as the CLI's progress: "probe i of n: <title>".
    const messages = h.progress(token).map((v) => ('message' in v ? (v.message ?? '') : ''));
    assert.ok(
      messages.some((m) => /^critic: probe 1 of \d+: Forward Lipschitz constant/.test(m)),
      messages.join(' | '),
    );
    const hover = await h.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: 5, character: 18 },
    });
    assert.match((hover!.contents as MarkupContent).value, /\*\*Measured\*\*/);
  });

  it('cancels an audit: the request ends with RequestCancelled', async () => {
    const token = 'audit-2';
    const source = new CancellationTokenSource();
    const pending = audit(
      h,
      { scope: 'model', uri, position: { line: 14, character: 20 }, workDoneToken: token },
      source,
    );
    await h.progressOf(token, 'begin');
    const t0 = Date.now();
    source.cancel();
    await assert.rejects(pending, (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.equal(e.code, -32800);
      return true;
    });
    assert.ok(Date.now() - t0 < 15_000, `cancel took ${Date.now() - t0} ms`);
    await h.progressOf(token, 'end');
  });
});
