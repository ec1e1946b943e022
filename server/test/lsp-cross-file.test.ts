/**
 * A layer written in one file and made part of an i-ResNet's branch by another is reported where it is written,
 * with the using model as related information; the using file gets one information diagnostic at the call; the
 * quick fix and the disable comment edit the file that holds the layer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  type CodeAction,
  CodeActionRequest,
  DiagnosticSeverity,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { InitializationOptions } from '../../core/src/protocol/lsp';
import { type Harness, startServer } from './lsp-harness';

const folder = join(__dirname, 'fixtures', 'cross-file');
const blocksUri = pathToFileURL(join(folder, 'blocks.ts')).href;
const modelUri = pathToFileURL(join(folder, 'iresnet.ts')).href;
const RULE = 'missing-lipschitz-constraint';

describe('cross-file findings over stdio', { timeout: 120_000 }, () => {
  let h: Harness;
  const text = (name: string): string => readFileSync(join(folder, name), 'utf8');

  before(async () => {
    h = startServer({ lintDelayMs: 10, maxFileSizeMB: 1 });
    const init: InitializationOptions = { workspaceTrusted: false };
    await h.initialize(folder, { name: 'cross-file', initializationOptions: init });
  });
  after(async () => h?.close());

  it('reports the branch layers in blocks.ts as errors, and the call in iresnet.ts once, as information', async () => {
    for (const [uri, name] of [
      [blocksUri, 'blocks.ts'],
      [modelUri, 'iresnet.ts'],
    ] as const)
      await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'typescript', version: 1, text: text(name) },
      });
    const errors = (d: { severity?: number; code?: unknown }[]): number =>
      d.filter((x) => x.code === RULE && x.severity === DiagnosticSeverity.Error).length;
    const inBlocks = await h.diagnostics(blocksUri, (d) => errors(d) === 2);
    assert.deepEqual(
      inBlocks.filter((d) => d.code === RULE).map((d) => [d.range.start.line, d.severity]),
      [
        [4, DiagnosticSeverity.Error],
        [5, DiagnosticSeverity.Error],
      ],
    );
    // The related information names the i-ResNet, in the file that uses the layer.
    const related = inBlocks[0]!.relatedInformation ?? [];
    assert.ok(
      related.some((r) => r.location.uri === modelUri && /iresnet/.test(r.message)),
      JSON.stringify(related),
    );
    const inModel = await h.diagnostics(modelUri, (d) => d.some((x) => x.code === RULE));
    const mine = inModel.filter((d) => d.code === RULE);
    assert.equal(mine.length, 1, JSON.stringify(inModel));
    assert.equal(mine[0]!.severity, DiagnosticSeverity.Information);
    // At the call that brings the layers in: `branch(8)` on line 6.
    assert.deepEqual(mine[0]!.range.start, { line: 5, character: 10 });
    assert.match(mine[0]!.message, /in blocks\.ts .* at lines 5, 6\.$/);
    assert.ok(mine[0]!.relatedInformation!.every((r) => r.location.uri === blocksUri));
    // Never a line of one file reported in another: nothing in iresnet.ts sits on blocks.ts's lines.
    assert.ok(inModel.every((d) => d.code !== RULE || d.severity !== DiagnosticSeverity.Error));
  });

  it('applies the quick fix in the file that holds the layer', async () => {
    const diags = await h.diagnostics(blocksUri);
    const target = diags.find((d) => d.code === RULE && d.range.start.line === 5)!;
    const actions = (await h.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: blocksUri },
      range: target.range,
      context: { diagnostics: [target] },
    })) as CodeAction[];
    const disable = actions.find((a) => a.title === `Disable ${RULE} for this line`)!;
    assert.deepEqual(Object.keys(disable.edit!.changes!), [blocksUri]);
    const fix = actions.find((a) => a.isPreferred)!;
    assert.deepEqual(Object.keys(fix.edit!.changes!), [blocksUri]);
    const doc = TextDocument.create(blocksUri, 'typescript', 1, text('blocks.ts'));
    const fixed = TextDocument.applyEdits(doc, fix.edit!.changes![blocksUri]!);
    assert.match(
      fixed,
      /tf\.layers\.dense\(\{ units, kernelConstraint: spectralNorm\(\{ coeff: 0\.9 \}\) \}\)/,
    );
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: blocksUri, version: 2 },
      contentChanges: [{ text: fixed }],
    });
    // The import moved the first layer down one line; the fixed layer has no finding left, in either file.
    const after = await h.diagnostics(blocksUri, (d, v) => v === 2 && errors(d) === 1);
    assert.deepEqual(
      after.filter((d) => d.code === RULE).map((d) => d.range.start.line),
      [5],
    );
    const model = await h.diagnostics(modelUri, (d) =>
      /in blocks\.ts have .* at line 6\./.test(d.map((x) => x.message).join()),
    );
    assert.equal(model.filter((d) => d.code === RULE).length, 1);
  });

  it('a change in the helper alone re-lints the model that uses it', async () => {
    const constrained = text('blocks.ts')
      .replace(
        "import * as tf from '@tensorflow/tfjs';",
        "import * as tf from '@tensorflow/tfjs';\nimport { spectralNorm } from 'lipschitz-lens';",
      )
      .replace(
        /dense\(\{ units(, activation: 'tanh')? \}\)/g,
        'dense({ units$1, kernelConstraint: spectralNorm({ coeff: 0.5 }) })',
      );
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: blocksUri, version: 3 },
      contentChanges: [{ text: constrained }],
    });
    await h.diagnostics(blocksUri, (d, v) => v === 3 && d.filter((x) => x.code === RULE).length === 0);
    await h.diagnostics(modelUri, (d) => d.every((x) => x.code !== RULE));
    // Back to unconstrained layers: the model file was not touched, yet its use makes them errors again.
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: blocksUri, version: 4 },
      contentChanges: [{ text: text('blocks.ts') }],
    });
    const back = await h.diagnostics(blocksUri, (d, v) => v === 4 && errors(d) === 2);
    assert.deepEqual(
      back.filter((d) => d.code === RULE).map((d) => d.range.start.line),
      [4, 5],
    );
  });

  it('two files that use each other lint each other once per edit, not forever', async () => {
    const mutual = join(folder, 'mutual');
    const uris = ['a.ts', 'b.ts'].map((n) => pathToFileURL(join(mutual, n)).href);
    let lints = 0;
    h.connection.onNotification('window/logMessage', (p: { message: string }) => {
      if (p.message.startsWith('linted ') && p.message.includes(`${join('cross-file', 'mutual')}`)) lints++;
    });
    for (const [i, uri] of uris.entries())
      await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: {
          uri,
          languageId: 'typescript',
          version: 1,
          text: text(join('mutual', i === 0 ? 'a.ts' : 'b.ts')),
        },
      });
    await h.diagnostics(uris[0]!, (d) => errors(d) === 1);
    await h.diagnostics(uris[1]!, (d) => errors(d) === 1);
    await new Promise((r) => setTimeout(r, 500));
    const settled = lints;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(lints, settled, `still linting: ${settled} -> ${lints}`);
    assert.ok(settled <= 4, `${settled} lints for two opened files`);
  });
});

function errors(d: { severity?: number; code?: unknown }[]): number {
  return d.filter((x) => x.code === RULE && x.severity === DiagnosticSeverity.Error).length;
}
