/**
 * Issue 11, item 7, through the real server over stdio: a file nested thousands of levels deep still gets its
 * findings and one information diagnostic saying what was not analysed; a 46k-line model's lint does not hold
 * up a hover in another file.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  type Diagnostic,
  DiagnosticSeverity,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
} from 'vscode-languageserver-protocol/node';
import { bigModel } from './big-model';
import { type Harness, startServer } from './lsp-harness';

const folder = join(tmpdir(), `ll-no-silent-drops-${process.pid}`);
const SMALL = readFileSync(join(__dirname, '..', '..', 'examples', 'mlp-classifier.ts'), 'utf8');
const RULE = 'missing-lipschitz-constraint';

/** A model before and after `n` levels of one kind of nesting. */
function deepFile(kind: string, n: number): string {
  const deep: Record<string, string> = {
    calls: `const x = ${'f('.repeat(n)}1${')'.repeat(n)};`,
    arrays: `const x = ${'['.repeat(n)}1${']'.repeat(n)};`,
    objects: `const x = ${'{ a: '.repeat(n)}1${' }'.repeat(n)};`,
    'tf calls': `const x = ${'tf.relu('.repeat(n)}1${')'.repeat(n)};`,
    'arrow functions': `const x = ${'() => '.repeat(n)}tf.layers.dense({ units: 2 });`,
  };
  return `import * as tf from '@tensorflow/tfjs';
export const before = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2] })] });
${deep[kind]}
export const after = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] })] });
`;
}

describe('no silent drops over stdio', { timeout: 240_000 }, () => {
  let h: Harness;
  const smallUri = pathToFileURL(join(folder, 'small.ts')).href;
  const position = (() => {
    const lines = SMALL.split('\n');
    const line = lines.findIndex((l) => l.includes('layers.dense'));
    return { line, character: lines[line]!.indexOf('dense') + 1 };
  })();
  const open = (uri: string, text: string): Promise<void> =>
    h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'typescript', version: 1, text },
    });

  before(async () => {
    mkdirSync(folder, { recursive: true });
    h = startServer({ lintDelayMs: 10, maxFileSizeMB: 8 });
    await h.initialize(folder, { name: 'drops' });
    await open(smallUri, SMALL);
    await h.diagnostics(smallUri, (d) => d.length > 0);
  });
  after(async () => {
    await h?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  for (const kind of ['calls', 'tf calls', 'arrays', 'objects'])
    for (const depth of [1000, 5000, 20000])
      it(`${depth} nested ${kind}: both models linted, one information diagnostic`, async () => {
        const uri = pathToFileURL(join(folder, `deep-${kind.replace(' ', '-')}-${depth}.ts`)).href;
        await open(uri, deepFile(kind, depth));
        const diags: Diagnostic[] = await h.diagnostics(uri);
        assert.deepEqual(
          diags.filter((d) => d.code === RULE).map((d) => d.range.start.line),
          [1, 3],
          JSON.stringify(diags),
        );
        const gaps = diags.filter((d) => d.code === undefined);
        assert.equal(gaps.length, 1, JSON.stringify(diags));
        assert.equal(gaps[0]!.severity, DiagnosticSeverity.Information);
        assert.match(gaps[0]!.message, /did not analyse all of this file: Nested/);
        assert.equal(gaps[0]!.range.start.line, 2);
        // The server is still answering.
        assert.ok(
          await h.connection.sendRequest(HoverRequest.type, { textDocument: { uri: smallUri }, position }),
        );
      });

  for (const depth of [1000, 5000, 20000])
    it(`${depth} nested arrow functions: read whole on the analysis thread's stack, so nothing to report`, async () => {
      // The interpreter does not follow a function nobody calls down its nesting; the thread's larger stack parses
      // the chain and reads its innermost layer (a loose layer here), so no part of the file is left out.
      const uri = pathToFileURL(join(folder, `deep-arrows-${depth}.ts`)).href;
      await open(uri, deepFile('arrow functions', depth));
      const diags: Diagnostic[] = await h.diagnostics(uri);
      assert.deepEqual(
        diags.filter((d) => d.code === RULE).map((d) => d.range.start.line),
        [1, 2, 3],
        JSON.stringify(diags),
      );
      assert.deepEqual(
        diags.filter((d) => d.code === undefined),
        [],
      );
    });

  it('answers a hover in a small file while a 46k-line model is linted', async () => {
    const path = join(folder, 'big.ts');
    const text = bigModel(1070);
    writeFileSync(path, text);
    const uri = pathToFileURL(path).href;
    await open(uri, text);
    await h.diagnostics(uri, (_d, v) => v === 1);
    // An edit: the lint of version 2 starts after the 10 ms debounce and takes seconds; the hover is sent well
    // inside it.
    let linted = false;
    const diagnostics = h.diagnostics(uri, (_d, v) => v === 2).then(() => (linted = true));
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: `${text}\n// edited\n` }],
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const hover = await h.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: smallUri },
      position,
    });
    assert.ok(hover, 'no hover');
    // On the request thread, the hover waited for the whole lint (1-3 s) and came after its diagnostics.
    assert.equal(linted, false, 'the hover was answered only after the big file was linted');
    await diagnostics;
  });

  it('answers a hover in a small file just edited while the big model is linted', async () => {
    const uri = pathToFileURL(join(folder, 'big.ts')).href;
    const text = bigModel(1070);
    let linted = false;
    const diagnostics = h.diagnostics(uri, (_d, v) => v === 3).then(() => (linted = true));
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 3 },
      contentChanges: [{ text: `${text}\n// edited again\n` }],
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The small file's new text needs an analysis before the hover can be answered: it goes first.
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: smallUri, version: 2 },
      contentChanges: [{ text: `${SMALL}// edited\n` }],
    });
    const hover = await h.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: smallUri },
      position,
    });
    assert.ok(hover, 'no hover');
    assert.equal(linted, false, 'the hover waited for the big file to be linted');
    await diagnostics;
  });
});
